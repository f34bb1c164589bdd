using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Hosting;

/// <summary>
/// On the generic host (<c>Host.CreateApplicationBuilder</c>, <c>WebApplication</c>): installs the unhandled-exception
/// hooks when the host starts and flushes the reporter when it stops.
/// </summary>
internal sealed class ErrorReportingHostedService : IHostedService, IDisposable
{
    private readonly UnhandledExceptionHooks _hooks;
    private readonly IErrorReporter _reporter;
    private readonly TimeSpan _shutdownTimeout;
    private IDisposable? _installation;

    public ErrorReportingHostedService(UnhandledExceptionHooks hooks, IErrorReporter reporter, IOptions<ErrorReportingOptions> options)
    {
        _hooks = hooks;
        _reporter = reporter;
        _shutdownTimeout = options.Value.ShutdownTimeout;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _installation ??= _hooks.Install();
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await _reporter.FlushAsync(_shutdownTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The host's shutdown timeout came first.
        }
    }

    public void Dispose() => _installation?.Dispose();
}
