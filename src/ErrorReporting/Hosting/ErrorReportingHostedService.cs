using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Hosting;

/// <summary>
/// On the generic host (<c>Host.CreateApplicationBuilder</c>, <c>WebApplication</c>): connects to the SDK when the host
/// starts (so its unhandled-exception integrations are installed from then on, whether or not anything resolved
/// <see cref="IErrorReporter"/>), and flushes when it stops.
/// </summary>
internal sealed class ErrorReportingHostedService : IHostedService
{
    private readonly SentryConnection _connection;
    private readonly IOptions<ErrorReportingOptions> _options;

    public ErrorReportingHostedService(SentryConnection connection, IOptions<ErrorReportingOptions> options)
    {
        _connection = connection;
        _options = options;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _ = _connection.Reporter;
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _connection.Reporter.FlushAsync(_options.Value.ShutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout came first.
        }
    }
}
