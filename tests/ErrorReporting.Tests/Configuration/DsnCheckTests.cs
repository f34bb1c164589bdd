using ErrorReporting.Configuration;

namespace ErrorReporting.Tests.Configuration;

/// <summary>
/// The start-up DSN check against the SDK's own parser (<see cref="SentryEndpoint.Create"/>, which builds the SDK's
/// request): both give the same verdict for every DSN here.
/// </summary>
public sealed class DsnCheckTests
{
    public static TheoryData<string> Dsns =>
    [
        "https://key@o0.ingest.sentry.io/42",
        "https://key:secret@o0.ingest.sentry.io/42",
        "http://key@127.0.0.1:9000/1",
        "http://key@[::1]:9000/1",
        "https://key@sentry.example.com/prefix/path/42",
        "https://key@sentry.example.com/42/",
        "https://key@sentry.example.com/42?query=1",
        "https://key@sentry.example.com/42#fragment",
        "https://key@sentry.example.com:443/42",
        "HTTPS://KEY@SENTRY.EXAMPLE.COM/42",
        "https://k%20ey@sentry.example.com/42",
        "https://key@xn--bcher-kva.example/42",
        "https://key@bücher.example/42",
        "https://sentry.example.com/42",
        "https://@sentry.example.com/42",
        "https://:secret@sentry.example.com/42",
        "https:// @sentry.example.com/42",
        "https://key@sentry.example.com",
        "https://key@sentry.example.com/",
        "https://key@sentry.example.com/ ",
        "ftp://key@sentry.example.com/42",
        "file://key@host/42",
        "mailto:key@sentry.example.com",
        "/var/key@sentry/42",
        "key@sentry.example.com/42",
        "not a dsn",
        "https://key@/42",
        "https://key@sentry.example.com:99999/42",
        "https://key@sentry example.com/42",
    ];

    [Theory]
    [MemberData(nameof(Dsns))]
    public void FindProblem_AnyDsn_SameVerdictAsTheSdksParser(string dsn)
    {
        string? sdkError = null;
        try
        {
            SentryEndpoint.Create(new SentryOptions { Dsn = dsn });
        }
        catch (Exception exception) when (exception is UriFormatException or ArgumentException or InvalidOperationException or FormatException)
        {
            sdkError = exception.Message;
        }

        var sdkAccepts = sdkError is null;

        var problem = DsnCheck.FindProblem(dsn);

        Assert.True(sdkAccepts == problem is null, $"the SDK {(sdkAccepts ? "accepts" : $"refuses ({sdkError})")}, the check says {problem ?? "valid"}");
    }

    [Theory]
    [InlineData("https://publickey0123:secret4567@sentry.example.com")]
    [InlineData("mailto:publickey0123:secret4567@sentry.example.com")]
    [InlineData("https://:secret4567@sentry.example.com/42")]
    public void FindProblem_InvalidDsnWithKeys_NeverShowsTheKeys(string dsn)
    {
        var problem = DsnCheck.FindProblem(dsn);

        Assert.NotNull(problem);
        Assert.DoesNotContain("publickey0123", problem, StringComparison.Ordinal);
        Assert.DoesNotContain("secret4567", problem, StringComparison.Ordinal);
    }
}
