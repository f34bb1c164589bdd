using System.Collections.Concurrent;
using System.Net.Http.Json;
using System.Text.Json;
using ErrorReporting.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.AspNetCore.Tests.Infrastructure;

/// <summary>
/// A real <see cref="WebApplication"/> on Kestrel (127.0.0.1, port 0) that reports to a <see cref="SentryTestServer"/>,
/// with <c>AddProblemDetails</c> + <c>UseExceptionHandler</c> unless told otherwise.
/// </summary>
internal sealed class WebAppHarness : IAsyncDisposable
{
    /// <summary>Bound for every wait on a condition: generous, only reached when something is broken.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(15);

    private WebAppHarness(WebApplication app, SentryTestServer sentry, HttpClient client, ListLoggerProvider logs)
    {
        App = app;
        Sentry = sentry;
        Client = client;
        Logs = logs;
    }

    public WebApplication App { get; }

    public SentryTestServer Sentry { get; }

    public HttpClient Client { get; }

    public ListLoggerProvider Logs { get; }

    public IErrorReporter Reporter => App.Services.GetRequiredService<IErrorReporter>();

    public static async Task<WebAppHarness> StartAsync(
        Action<WebApplication> mapEndpoints,
        Action<WebApplicationBuilder>? configureBuilder = null,
        Action<ErrorReportingOptions>? configureReporting = null,
        bool useExceptionHandler = true,
        string environment = "Production")
    {
        var sentry = await SentryTestServer.StartAsync();
        try
        {
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { EnvironmentName = environment, ApplicationName = typeof(WebAppHarness).Assembly.GetName().Name });
            builder.WebHost.UseUrls("http://127.0.0.1:0");
            builder.Logging.ClearProviders();
            var logs = new ListLoggerProvider();
            builder.Logging.AddProvider(logs);
            builder.Services.AddErrorReportingAspNetCore(options =>
            {
                options.Dsn = sentry.Dsn;
                options.Release = "test@1.0.0";
                options.Environment = "test";
                configureReporting?.Invoke(options);
            });
            if (useExceptionHandler)
            {
                builder.Services.AddProblemDetails();
            }

            configureBuilder?.Invoke(builder);
            var app = builder.Build();
            if (useExceptionHandler)
            {
                app.UseExceptionHandler();
            }

            mapEndpoints(app);
            await app.StartAsync();
            var client = new HttpClient { BaseAddress = new Uri(app.Urls.Single()), Timeout = TimeSpan.FromSeconds(30) };
            return new WebAppHarness(app, sentry, client, logs);
        }
        catch
        {
            await sentry.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until everything reported so far was delivered (so a test can assert that nothing more arrived).</summary>
    public async Task FlushAsync()
        => Assert.True(await Reporter.FlushAsync(WaitTimeout), "The reporter did not flush within the bound.");

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
        await Sentry.DisposeAsync();
    }

    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
        => await response.Content.ReadFromJsonAsync<JsonElement>();

    /// <summary>Reads <c>eventId</c> of a ProblemDetails (or of any JSON object), or <see langword="null"/>.</summary>
    public static async Task<string?> ReadEventIdAsync(HttpResponseMessage response)
    {
        var json = await ReadJsonAsync(response);
        return json.ValueKind == JsonValueKind.Object && json.TryGetProperty("eventId", out var id) ? id.GetString() : null;
    }

    public static string? HeaderOrNull(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;
}

/// <summary>Collects log entries (level, category, message, exception) for assertions.</summary>
internal sealed class ListLoggerProvider : ILoggerProvider
{
    private readonly ConcurrentQueue<(LogLevel Level, string Category, string Message, Exception? Exception)> _entries = new();

    public IReadOnlyList<(LogLevel Level, string Category, string Message, Exception? Exception)> Entries => _entries.ToArray();

    public ILogger CreateLogger(string categoryName) => new ListLogger(this, categoryName);

    public void Dispose()
    {
    }

    private sealed class ListLogger(ListLoggerProvider provider, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            => provider._entries.Enqueue((logLevel, category, formatter(state, exception), exception));
    }
}
