using System.Security.Claims;
using System.Text.Json;
using ErrorReporting.AspNetCore.Tests.Infrastructure;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace ErrorReporting.AspNetCore.Tests;

/// <summary>
/// What leaves the process, read on the wire: without <c>SendDefaultPii</c> no credential, cookie, query-string
/// secret, client address or user name; with it, the user and the client address (the tests can fail).
/// </summary>
[Collection(SdkTests.Name)]
public sealed class PrivacyTests
{
    private const string Bearer = "bearer-secret-1";
    private const string CookieSecret = "cookie-secret-2";
    private const string QueryToken = "query-token-3";
    private const string ApiKey = "api-key-4";
    private const string ProxySecret = "proxy-secret-5";
    private const string QueryApiKey = "query-api-key-6";
    private const string CustomTokenHeader = "custom-token-7";
    private const string RefererToken = "referer-token-8";
    private const string ForwardedFor = "203.0.113.8";
    private const string RealIp = "198.51.100.9";
    private const string UserName = "alice-the-user";

    private static readonly string[] s_secrets = [Bearer, CookieSecret, QueryToken, ApiKey, ProxySecret, QueryApiKey, CustomTokenHeader, RefererToken, ForwardedFor, RealIp, UserName];

    public static TheoryData<Registration> RegistrationsWithSentryMiddleware => ExceptionHandlerTests.RegistrationsWithSentryMiddleware;

    [Theory]
    [MemberData(nameof(RegistrationsWithSentryMiddleware))]
    public async Task WithoutSendDefaultPii_RequestCarriesSecrets_NoneOfThemOnTheWire(Registration registration)
    {
        await using var web = await StartAsync(registration, sendDefaultPii: false);

        using var response = await web.SendAsync(RequestWithSecrets());
        var received = await web.AssertOneEventAsync(response);

        var request = received.Request;
        Assert.NotNull(request);
        foreach (var secret in s_secrets)
        {
            Assert.DoesNotContain(secret, received.RawJson, StringComparison.OrdinalIgnoreCase);
        }

        foreach (var name in new[] { "Authorization", "Proxy-Authorization", "Cookie", "X-Api-Key", "X-Forwarded-For", "X-Real-IP", "X-Custom-Token" })
        {
            Assert.False(request.Headers.ContainsKey(name), $"The header {name} was sent.");
        }

        var requestJson = received.Json.GetProperty("request");
        Assert.False(requestJson.TryGetProperty("cookies", out _), "request.cookies was sent.");
        Assert.Equal("?token=[Filtered]&api_key=[Filtered]&page=2", request.QueryString);
        Assert.Equal("http://127.0.0.1/login?access_token=[Filtered]&next=%2Forders", request.Headers["Referer"]);
        Assert.False(Env(requestJson).ContainsKey("REMOTE_ADDR"), "request.env.REMOTE_ADDR was sent.");
        Assert.Null(received.User?.IpAddress);
        Assert.Null(received.User?.Username);
        Assert.DoesNotContain("127.0.0.1\"", received.RawJson.Replace("http://127.0.0.1", "", StringComparison.Ordinal), StringComparison.Ordinal);

        // The request data that is not secret is still there.
        Assert.Equal("req-42", request.Headers["X-Request-Id"]);
        Assert.Equal("GET", request.Method);
        Assert.EndsWith("/orders/7", request.Url, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(RegistrationsWithSentryMiddleware))]
    public async Task WithSendDefaultPii_AuthenticatedUser_UserNameAndClientAddressAreSent(Registration registration)
    {
        await using var web = await StartAsync(registration, sendDefaultPii: true);

        using var response = await web.SendAsync(RequestWithSecrets());
        var received = await web.AssertOneEventAsync(response);

        Assert.NotNull(received.User);
        Assert.Equal(UserName, received.User.Username);
        Assert.Equal("127.0.0.1", received.User.IpAddress);
        var requestJson = received.Json.GetProperty("request");
        Assert.Equal("127.0.0.1", Env(requestJson)["REMOTE_ADDR"]);

        // With SendDefaultPii, ErrorReporting removes nothing: the request is sent as Sentry.AspNetCore captured it.
        Assert.Equal($"?token={QueryToken}&api_key={QueryApiKey}&page=2", received.Request!.QueryString);
        Assert.Equal(ApiKey, received.Request.Headers["X-Api-Key"]);
        Assert.Equal(ForwardedFor, received.Request.Headers["X-Forwarded-For"]);
        Assert.Contains(CookieSecret, requestJson.GetProperty("cookies").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutSendDefaultPii_AppReportsHandledInTheRequest_SecretsFilteredThereToo()
    {
        await using var web = await WebApp.StartAsync(app =>
            app.MapGet("/handled", (IErrorReporter reporter) =>
                Results.Ok(new { eventId = reporter.ReportHandled(new FormatException("Bad input.")).ToString() })));

        using var response = await web.GetAsync("/handled?code=secret-code&password=hunter2&q=shoes");
        var eventId = await WebApp.ReadEventIdAsync(response);
        var received = await web.Sentry.WaitForEventAsync(eventId!, WebApp.WaitTimeout);
        await web.SettleAsync();

        Assert.True(received.Handled);
        Assert.Equal("?code=[Filtered]&password=[Filtered]&q=shoes", received.Request?.QueryString);
        Assert.DoesNotContain("secret-code", received.RawJson, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", received.RawJson, StringComparison.Ordinal);
    }

    [Fact]
    public async Task WithoutSendDefaultPii_ConfiguredDeniedHeaderAndSensitiveName_NotSent()
    {
        await using var web = await StartAsync(
            Registration.UseErrorReporting,
            sendDefaultPii: false,
            new Dictionary<string, string?>
            {
                ["AspNetCore:DeniedRequestHeaders:0"] = "X-Tenant",
                ["AspNetCore:SensitiveNames:0"] = "ssn",
            });
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri("/orders/7?ssn=078-05-1120&page=3", UriKind.Relative));
        request.Headers.Add("X-Tenant", "tenant-secret");
        request.Headers.Add("X-Customer-Ssn", "078-05-1121");

        using var response = await web.SendAsync(request);
        var received = await web.AssertOneEventAsync(response);

        Assert.Equal("?ssn=[Filtered]&page=3", received.Request!.QueryString);
        Assert.False(received.Request.Headers.ContainsKey("X-Tenant"));
        Assert.False(received.Request.Headers.ContainsKey("X-Customer-Ssn"));
        Assert.DoesNotContain("078-05-112", received.RawJson, StringComparison.Ordinal);
        Assert.DoesNotContain("tenant-secret", received.RawJson, StringComparison.Ordinal);
    }

    private static Task<WebApp> StartAsync(Registration registration, bool sendDefaultPii, IReadOnlyDictionary<string, string?>? section = null)
        => WebApp.StartAsync(
            app =>
            {
                app.Use(SignIn);
                app.MapGet("/orders/{id}", (int id) => ThrowOrderFailed(id));
            },
            new WebAppSettings { Registration = registration, SendDefaultPii = sendDefaultPii, SentrySection = section });

    private static HttpRequestMessage RequestWithSecrets()
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri($"/orders/7?token={QueryToken}&api_key={QueryApiKey}&page=2", UriKind.Relative));
        request.Headers.TryAddWithoutValidation("Authorization", $"Bearer {Bearer}");
        request.Headers.TryAddWithoutValidation("Proxy-Authorization", $"Basic {ProxySecret}");
        request.Headers.TryAddWithoutValidation("Cookie", $"session={CookieSecret}; theme=dark");
        request.Headers.TryAddWithoutValidation("X-Api-Key", ApiKey);
        request.Headers.TryAddWithoutValidation("X-Forwarded-For", ForwardedFor);
        request.Headers.TryAddWithoutValidation("X-Real-IP", RealIp);
        request.Headers.TryAddWithoutValidation("X-Custom-Token", CustomTokenHeader);
        request.Headers.TryAddWithoutValidation("Referer", $"http://127.0.0.1/login?access_token={RefererToken}&next=%2Forders#section");
        request.Headers.TryAddWithoutValidation("X-Request-Id", "req-42");
        return request;
    }

    private static Dictionary<string, string?> Env(JsonElement request)
        => request.TryGetProperty("env", out var env) && env.ValueKind == JsonValueKind.Object
            ? env.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String ? p.Value.GetString() : p.Value.GetRawText())
            : [];

    private static Task SignIn(HttpContext context, RequestDelegate next)
    {
        context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim(ClaimTypes.Name, UserName)], authenticationType: "Test"));
        return next(context);
    }

    private static void ThrowOrderFailed(int id) => throw new InvalidOperationException($"Order {id} failed.");
}
