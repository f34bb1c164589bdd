using System.Diagnostics.Metrics;
using ErrorReporting.Delivery;
using ErrorReporting.Diagnostics;

namespace ErrorReporting.Hosting;

/// <summary>
/// Creates the delivery engines of one container's SDK options and stops them when the container is disposed, after
/// <see cref="SentryConnection"/> has closed the SDK (which flushes through them). Their loggers, and the SDK's
/// diagnostic logger, write to <see cref="Loggers"/>, which <see cref="SentryConnection"/> attaches to the
/// application's logging once that exists.
/// </summary>
internal sealed class EngineRegistry : IDisposable
{
    private readonly List<DeliveryEngine> _engines = [];
    private readonly IMeterFactory? _meterFactory;
    private readonly TimeProvider _time;
    private bool _disposed;

    public EngineRegistry(IMeterFactory? meterFactory = null, TimeProvider? time = null)
    {
        _meterFactory = meterFactory;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Gets the loggers of the engines and of the SDK's diagnostic logger bridge.</summary>
    public DeferredLoggerFactory Loggers { get; } = new();

    public DeliveryEngine Create(Sentry.SentryOptions options)
    {
        var engine = new DeliveryEngine(options, Loggers, _meterFactory, _time);
        lock (_engines)
        {
            if (_disposed)
            {
                engine.Dispose();
            }
            else
            {
                _engines.Add(engine);
            }
        }

        return engine;
    }

    /// <summary>
    /// Gets the engine created here that serves the SDK's current hub (the hub it was installed into is enabled), or
    /// <see langword="null"/> when the SDK sends through its own worker or another container's engine.
    /// </summary>
    public DeliveryEngine? ServingEngine
    {
        get
        {
            lock (_engines)
            {
                return _engines.FindLast(e => e.IsServingHub);
            }
        }
    }

    public void Dispose()
    {
        DeliveryEngine[] engines;
        lock (_engines)
        {
            _disposed = true;
            engines = [.. _engines];
            _engines.Clear();
        }

        foreach (var engine in engines)
        {
            engine.Dispose();
        }
    }
}
