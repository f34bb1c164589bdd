using ErrorReporting.Delivery.Store;
using ErrorReporting.Diagnostics;
using Microsoft.Extensions.Logging;
using Sentry.Extensibility;
using Sentry.Protocol.Envelopes;

namespace ErrorReporting.Delivery;

/// <summary>
/// The SDK's Spotlight support (<see cref="SentryOptions.EnableSpotlight"/>, <see cref="SentryOptions.SpotlightUrl"/>)
/// beside the delivery engine. The SDK builds its Spotlight transport only inside its own background worker, which
/// the engine replaces; so the forwarder keeps a private SDK client with Spotlight on (and a transport that discards
/// what is not for Spotlight), and hands it a copy of every envelope the engine serialized. The SDK's own code then
/// posts it to the sidecar, with its backoff when no sidecar runs. Delivery to Sentry is not affected by Spotlight.
/// </summary>
internal sealed class SpotlightForwarder : IDisposable
{
    private readonly SentryClient _client;
    private readonly ILogger _logger;

    private SpotlightForwarder(SentryClient client, ILogger logger)
    {
        _client = client;
        _logger = logger;
    }

    /// <summary>Creates the forwarder when <see cref="SentryOptions.EnableSpotlight"/> is on, else <see langword="null"/>.</summary>
    public static SpotlightForwarder? Create(SentryOptions options, ILogger logger)
    {
        if (!options.EnableSpotlight)
        {
            return null;
        }

        try
        {
            var spotlight = new SentryOptions
            {
                Dsn = options.Dsn,
                EnableSpotlight = true,
                SpotlightUrl = options.SpotlightUrl,
                Environment = options.Environment,
                Debug = options.Debug,
                DiagnosticLogger = options.DiagnosticLogger,
                DiagnosticLevel = options.DiagnosticLevel,
                SendClientReports = false,
                Transport = DiscardingTransport.Instance,
            };
            return new SpotlightForwarder(new SentryClient(spotlight), logger);
        }
        catch (Exception exception) when (exception is InvalidOperationException or ArgumentException or UriFormatException)
        {
            Log.SpotlightUnavailable(logger, exception);
            return null;
        }
    }

    /// <summary>Sends a copy of a serialized envelope to Spotlight (the SDK's worker sends it; this never waits).</summary>
    public void Forward(PendingEnvelope envelope)
    {
        try
        {
            using var bytes = new MemoryStream(envelope.Header.Length + envelope.Items.Length + 1);
            bytes.Write(envelope.Header);
            bytes.WriteByte((byte)'\n');
            bytes.Write(envelope.Items);
            bytes.Position = 0;
            _client.CaptureEnvelope(Envelope.DeserializeAsync(bytes).GetAwaiter().GetResult());
        }
        catch (Exception exception)
        {
            Log.SpotlightUnavailable(_logger, exception);
        }
    }

    public void Dispose() => _client.Dispose();

    /// <summary>The transport under the SDK's Spotlight transport: the envelope's way to Sentry is the engine's.</summary>
    private sealed class DiscardingTransport : ITransport
    {
        public static readonly DiscardingTransport Instance = new();

        public Task SendEnvelopeAsync(Envelope envelope, CancellationToken cancellationToken = default) => Task.CompletedTask;
    }
}
