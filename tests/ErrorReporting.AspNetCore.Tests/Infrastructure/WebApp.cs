using System.Collections.Concurrent;
using System.Text.Json;
using ErrorReporting.Testing;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace ErrorReporting.AspNetCore.Tests.Infrastructure;

/// <summary>How the application registers Sentry and ErrorReporting.</summary>
public enum Registration
{
    /// <summary><c>builder.WebHost.UseErrorReporting(options => …)</c>: the one-line registration.</summary>
    UseErrorReporting,

    /// <summary><c>builder.WebHost.UseErrorReporting()</c>, everything from an in-memory <c>"Sentry"</c> configuration section.</summary>
    UseErrorReportingFromConfiguration,

    /// <summary><c>builder.WebHost.UseSentry(options => …)</c>, then <c>builder.Services.AddErrorReportingAspNetCore()</c>.</summary>
    UseSentryThenAddErrorReportingAspNetCore,

    /// <summary><c>builder.Services.AddErrorReportingAspNetCore()</c>, then <c>builder.WebHost.UseSentry(options => …)</c>.</summary>
    AddErrorReportingAspNetCoreThenUseSentry,

    /// <summary><c>builder.Services.AddErrorReportingAspNetCore(options => …)</c> without <c>UseSentry</c>: no Sentry middleware.</summary>
    AddErrorReportingAspNetCoreOnly,
}

/// <summary>What a <see cref="WebApp"/> looks like; the defaults are the README's setup.</summary>
internal sealed class WebAppSettings
{
    public const string Environment = "test";

    public const string Release = "test@1.0.0";

    public Registration Registration { get; init; } = Registration.UseErrorReporting;

    /// <summary>Gets a value indicating whether the app calls <c>AddProblemDetails()</c> and <c>app.UseExceptionHandler()</c>.</summary>
    public bool UseExceptionHandler { get; init; } = true;

    public string HostEnvironment { get; init; } = "Production";

    public bool SendDefaultPii { get; init; }

    /// <summary>
    /// Gets further SDK options, applied after the harness's DSN, environment, release and <see cref="SendDefaultPii"/>
    /// (with <see cref="Registration.UseErrorReportingFromConfiguration"/>: after the section, as UseErrorReporting's callback).
    /// </summary>
    public Action<SentryOptions>? ConfigureSdk { get; init; }

    /// <summary>Gets further <c>"Sentry"</c> configuration keys (relative to the section), added for every registration.</summary>
    public IReadOnlyDictionary<string, string?>? SentrySection { get; init; }

    /// <summary>Gets a step that runs before the registration (to register services ahead of the integration).</summary>
    public Action<WebApplicationBuilder>? BeforeRegistration { get; init; }

    /// <summary>Gets a step that runs after the registration.</summary>
    public Action<WebApplicationBuilder>? AfterRegistration { get; init; }
}

/// <summary>
/// A real <see cref="WebApplication"/> on Kestrel (127.0.0.1, port 0) that reports to a <see cref="SentryTestServer"/>,
/// registered as <see cref="WebAppSettings.Registration"/> says. It counts the requests the server completed (a
/// response callback that runs after the whole pipeline, Sentry's middleware included), so that a test can wait until
/// every capture of a request happened, flush, and assert on everything that arrived.
/// </summary>
internal sealed class WebApp : IAsyncDisposable
{
    /// <summary>Bound for every wait on a condition: generous, only reached when something is broken.</summary>
    public static readonly TimeSpan WaitTimeout = TimeSpan.FromSeconds(30);

    private readonly SemaphoreSlim _completed = new(0);
    private int _sent;
    private int _settled;

    private WebApp(SentryTestServer sentry)
    {
        Sentry = sentry;
    }

    public WebApplication App { get; private set; } = null!;

    public SentryTestServer Sentry { get; }

    public HttpClient Client { get; private set; } = null!;

    public ListLoggerProvider Logs { get; } = new();

    public IErrorReporter Reporter => App.Services.GetRequiredService<IErrorReporter>();

    public static async Task<WebApp> StartAsync(Action<WebApplication> mapEndpoints, WebAppSettings? settings = null)
    {
        settings ??= new WebAppSettings();
        Assert.False(SentrySdk.IsEnabled, "A previous test left the Sentry SDK initialised.");
        var sentry = await SentryTestServer.StartAsync();
        var webApp = new WebApp(sentry);
        try
        {
            await webApp.StartAppAsync(mapEndpoints, settings);
            return webApp;
        }
        catch
        {
            await webApp.DisposeAsync();
            throw;
        }
    }

    /// <summary>Sends a request through <see cref="Client"/>, counted for <see cref="SettleAsync"/>.</summary>
    public Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken = default)
    {
        Interlocked.Increment(ref _sent);
        return Client.SendAsync(request, cancellationToken);
    }

    public async Task<HttpResponseMessage> GetAsync(string pathAndQuery)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(pathAndQuery, UriKind.Relative));
        return await SendAsync(request);
    }

    /// <summary>
    /// Waits until the server completed every request sent so far (so every capture path of those requests ran),
    /// then until the reporter delivered everything; asserts the server refused nothing.
    /// </summary>
    public async Task SettleAsync()
    {
        var sent = Volatile.Read(ref _sent);
        while (_settled < sent)
        {
            Assert.True(await _completed.WaitAsync(WaitTimeout), $"The server completed {_settled} of {sent} requests within the bound.");
            _settled++;
        }

        Assert.True(await Reporter.FlushAsync(WaitTimeout), "The reporter did not flush within the bound.");
        Assert.Empty(Sentry.Rejections);
    }

    /// <summary>
    /// Asserts the failed request's answer and the wire agree: the ProblemDetails <c>eventId</c> equals the
    /// <c>X-Sentry-Event-Id</c> header, and exactly one event arrived, with that id (payload and envelope header).
    /// </summary>
    public async Task<ReceivedEvent> AssertOneEventAsync(HttpResponseMessage response)
    {
        var problemId = await ReadEventIdAsync(response);
        Assert.NotNull(problemId);
        Assert.Matches("^[0-9a-f]{32}$", problemId);
        Assert.Equal(problemId, HeaderOrNull(response, ErrorReportingAspNetCoreOptions.DefaultEventIdResponseHeader));
        await Sentry.WaitForEventAsync(problemId, WaitTimeout);
        await SettleAsync();
        var received = Assert.Single(Sentry.Events);
        Assert.Equal(problemId, received.EventId);
        Assert.Equal(problemId, received.EnvelopeEventId);
        return received;
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            Client?.Dispose();
            if (App is not null)
            {
                await App.StopAsync();
                await App.DisposeAsync();
            }
        }
        finally
        {
            SentrySdk.Close();
            await Sentry.DisposeAsync();
            _completed.Dispose();
        }
    }

    /// <summary>Reads the (buffered) response body as JSON; repeatable.</summary>
    public static async Task<JsonElement> ReadJsonAsync(HttpResponseMessage response)
    {
        using var document = JsonDocument.Parse(await response.Content.ReadAsStringAsync());
        return document.RootElement.Clone();
    }

    /// <summary>Reads <c>eventId</c> of a ProblemDetails (or of any JSON object), or <see langword="null"/>.</summary>
    public static async Task<string?> ReadEventIdAsync(HttpResponseMessage response)
    {
        if (response.Content.Headers.ContentType?.MediaType is not ("application/json" or "application/problem+json"))
        {
            return null;
        }

        var json = await ReadJsonAsync(response);
        return json.ValueKind == JsonValueKind.Object && json.TryGetProperty(ErrorReportingAspNetCoreOptions.ProblemDetailsEventIdKey, out var id) ? id.GetString() : null;
    }

    public static string? HeaderOrNull(HttpResponseMessage response, string name)
        => response.Headers.TryGetValues(name, out var values) ? string.Join(",", values) : null;

    private static void ApplyCommon(SentryOptions options, SentryTestServer sentry, WebAppSettings settings)
    {
        options.Dsn = sentry.Dsn;
        options.Environment = WebAppSettings.Environment;
        options.Release = WebAppSettings.Release;
        options.SendDefaultPii = settings.SendDefaultPii;
        settings.ConfigureSdk?.Invoke(options);
    }

    private async Task StartAppAsync(Action<WebApplication> mapEndpoints, WebAppSettings settings)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            EnvironmentName = settings.HostEnvironment,
            ApplicationName = typeof(WebApp).Assembly.GetName().Name,
            ContentRootPath = AppContext.BaseDirectory,
            Args = ["--hostBuilder:reloadConfigOnChange=false"],
        });
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(Logs);

        var section = new Dictionary<string, string?>();
        if (settings.Registration == Registration.UseErrorReportingFromConfiguration)
        {
            section["Dsn"] = Sentry.Dsn;
            section["Environment"] = WebAppSettings.Environment;
            section["Release"] = WebAppSettings.Release;
            section["SendDefaultPii"] = settings.SendDefaultPii ? "true" : "false";
        }

        foreach (var (key, value) in settings.SentrySection ?? new Dictionary<string, string?>())
        {
            section[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(section.Select(pair => new KeyValuePair<string, string?>("Sentry:" + pair.Key, pair.Value)));
        settings.BeforeRegistration?.Invoke(builder);
        switch (settings.Registration)
        {
            case Registration.UseErrorReporting:
                builder.WebHost.UseErrorReporting(options => ApplyCommon(options, Sentry, settings));
                break;
            case Registration.UseErrorReportingFromConfiguration when settings.ConfigureSdk is { } configureSdk:
                builder.WebHost.UseErrorReporting(options => configureSdk(options));
                break;
            case Registration.UseErrorReportingFromConfiguration:
                builder.WebHost.UseErrorReporting();
                break;
            case Registration.UseSentryThenAddErrorReportingAspNetCore:
                builder.WebHost.UseSentry(options => ApplyCommon(options, Sentry, settings));
                builder.Services.AddErrorReportingAspNetCore();
                break;
            case Registration.AddErrorReportingAspNetCoreThenUseSentry:
                builder.Services.AddErrorReportingAspNetCore();
                builder.WebHost.UseSentry(options => ApplyCommon(options, Sentry, settings));
                break;
            case Registration.AddErrorReportingAspNetCoreOnly:
                builder.Services.AddErrorReportingAspNetCore(options => ApplyCommon(options, Sentry, settings));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(settings), settings.Registration, "Unknown registration.");
        }

        settings.AfterRegistration?.Invoke(builder);
        if (settings.UseExceptionHandler)
        {
            builder.Services.AddProblemDetails();
        }

        App = builder.Build();

        // The first middleware of the application's pipeline; its response callback runs after the whole pipeline
        // (startup-filter middleware such as Sentry's included) finished with the request.
        App.Use((HttpContext context, RequestDelegate next) =>
        {
            context.Response.OnCompleted(() =>
            {
                _completed.Release();
                return Task.CompletedTask;
            });
            return next(context);
        });
        if (settings.UseExceptionHandler)
        {
            App.UseExceptionHandler();
        }

        mapEndpoints(App);
        await App.StartAsync();
        Client = new HttpClient { BaseAddress = new Uri(App.Urls.Single()), Timeout = WaitTimeout };
    }
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
