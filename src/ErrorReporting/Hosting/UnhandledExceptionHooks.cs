using ErrorReporting.Reporting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Hosting;

/// <summary>
/// The process-wide hooks that report exceptions nobody caught: <see cref="AppDomain.UnhandledException"/> (reported,
/// then flushed synchronously for up to <see cref="ErrorReportingOptions.ShutdownTimeout"/> when the process is
/// terminating) and <see cref="TaskScheduler.UnobservedTaskException"/> (reported, not terminal). Installing is
/// reference-counted: installing twice subscribes once; the hooks go when every installation is disposed.
/// </summary>
internal sealed class UnhandledExceptionHooks : IDisposable
{
    /// <summary>The mechanism of exceptions caught by <see cref="AppDomain.UnhandledException"/>.</summary>
    public const string AppDomainMechanism = "AppDomain.UnhandledException";

    /// <summary>The mechanism of exceptions caught by <see cref="TaskScheduler.UnobservedTaskException"/>.</summary>
    public const string UnobservedTaskMechanism = "UnobservedTaskException";

    private readonly IErrorReporter _reporter;
    private readonly ErrorReportingOptions _options;
    private readonly ILogger _logger;
    private readonly object _gate = new();
    private int _installations;
    private bool _appDomainHooked;
    private bool _taskSchedulerHooked;

    public UnhandledExceptionHooks(IErrorReporter reporter, IOptions<ErrorReportingOptions> options, ILoggerFactory? loggerFactory = null)
    {
        _reporter = reporter;
        _options = options.Value;
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger(Diagnostics.Log.Category);
    }

    public bool IsAppDomainHookInstalled => Volatile.Read(ref _appDomainHooked);

    public bool IsTaskSchedulerHookInstalled => Volatile.Read(ref _taskSchedulerHooked);

    /// <summary>Installs the hooks the options enable (once per reporter, however often it is called).</summary>
    /// <returns>A handle that uninstalls them when every handle is disposed.</returns>
    public IDisposable Install()
    {
        lock (_gate)
        {
            if (_installations++ == 0 && _reporter.IsEnabled)
            {
                if (_options.CaptureUnhandledExceptions)
                {
                    AppDomain.CurrentDomain.UnhandledException += OnUnhandledException;
                    _appDomainHooked = true;
                }

                if (_options.CaptureUnobservedTaskExceptions)
                {
                    TaskScheduler.UnobservedTaskException += OnUnobservedTaskException;
                    _taskSchedulerHooked = true;
                }
            }
        }

        return new Installation(this);
    }

    public void Dispose()
    {
        lock (_gate)
        {
            _installations = 0;
            Unhook();
        }
    }

    private void Release()
    {
        lock (_gate)
        {
            if (_installations > 0 && --_installations == 0)
            {
                Unhook();
            }
        }
    }

    private void Unhook()
    {
        if (_appDomainHooked)
        {
            AppDomain.CurrentDomain.UnhandledException -= OnUnhandledException;
            _appDomainHooked = false;
        }

        if (_taskSchedulerHooked)
        {
            TaskScheduler.UnobservedTaskException -= OnUnobservedTaskException;
            _taskSchedulerHooked = false;
        }
    }

    internal void OnUnhandledException(object sender, UnhandledExceptionEventArgs e)
    {
        // Nothing here may throw or hang: the runtime is about to terminate the process with the original exception.
        try
        {
            var exception = e.ExceptionObject as Exception
                ?? new InvalidOperationException($"A non-exception object was thrown: {e.ExceptionObject}");
            _reporter.ReportUnhandled(exception, AppDomainMechanism, _options.UnhandledExceptionLevel);
            if (e.IsTerminating)
            {
                var flushed = _reporter is ErrorReporter enabled
                    ? enabled.Flush(_options.ShutdownTimeout)
                    : _reporter.FlushAsync(_options.ShutdownTimeout).AsTask().Wait(_options.ShutdownTimeout);
                Diagnostics.Log.CrashFlushed(_logger, flushed, _options.ShutdownTimeout);
            }
        }
        catch (Exception hookFailure)
        {
            Diagnostics.Log.HookFailed(_logger, hookFailure);
        }
    }

    internal void OnUnobservedTaskException(object? sender, UnobservedTaskExceptionEventArgs e)
    {
        try
        {
            _reporter.ReportUnhandled(e.Exception, UnobservedTaskMechanism, _options.UnhandledExceptionLevel);
            if (_options.ObserveUnobservedTaskExceptions)
            {
                e.SetObserved();
            }
        }
        catch (Exception hookFailure)
        {
            Diagnostics.Log.HookFailed(_logger, hookFailure);
        }
    }

    private sealed class Installation(UnhandledExceptionHooks owner) : IDisposable
    {
        private int _disposed;

        public void Dispose()
        {
            if (Interlocked.Exchange(ref _disposed, 1) == 0)
            {
                owner.Release();
            }
        }
    }
}
