using ErrorReporting.Configuration;

namespace ErrorReporting.Tests.Configuration;

public sealed class DsnTests
{
    [Theory]
    [InlineData("https://key@o1.ingest.us.sentry.io/123", "https://o1.ingest.us.sentry.io/api/123/envelope/", "key", null, "123")]
    [InlineData("https://key:secret@sentry.example.com:8443/path/to/7", "https://sentry.example.com:8443/path/to/api/7/envelope/", "key", "secret", "7")]
    [InlineData("http://abc@127.0.0.1:9000/42", "http://127.0.0.1:9000/api/42/envelope/", "abc", null, "42")]
    public void Parse_ValidDsn_BuildsEnvelopeEndpointAndKeys(string value, string endpoint, string publicKey, string? secretKey, string projectId)
    {
        var dsn = Dsn.Parse(value);

        Assert.Equal(endpoint, dsn.EnvelopeUri.ToString());
        Assert.Equal(publicKey, dsn.PublicKey);
        Assert.Equal(secretKey, dsn.SecretKey);
        Assert.Equal(projectId, dsn.ProjectId);
    }

    [Theory]
    [InlineData("not a uri", "absolute URI")]
    [InlineData("/relative/42", "scheme")] // an absolute path is a file: URI on Unix
    [InlineData("ftp://key@host/42", "scheme")]
    [InlineData("https://host/42", "public key")]
    [InlineData("https://:secret@host/42", "public key")]
    [InlineData("https://key@host/", "project id")]
    [InlineData("https://key@host", "project id")]
    public void TryParse_InvalidDsn_GivesReason(string value, string reason)
    {
        Assert.False(Dsn.TryParse(value, out _, out var error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void Redacted_DsnWithKeys_HidesKeys()
    {
        var dsn = Dsn.Parse("https://publickey123:secret456@sentry.example.com/9");

        Assert.Equal("https://***@sentry.example.com/9", dsn.Redacted);
        Assert.DoesNotContain("publickey123", dsn.ToString(), StringComparison.Ordinal);
        Assert.DoesNotContain("secret456", dsn.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://key@o1.ingest.us.sentry.io/123")]
    [InlineData("HTTPS://Key@Sentry.Example.COM/42")]
    [InlineData("https://key:secret@sentry.example.com:8443/path/to/7")]
    [InlineData("http://abc@127.0.0.1:9000/42")]
    [InlineData("http://abc@localhost:80/42")]
    [InlineData("https://abc@host:443/x/y/z/1")]
    [InlineData("http://a_b-c.d~e@host-name.example:0080/p.q/99")]
    [InlineData("https://key@host/a.b/c")]
    public void TryParse_PlainShape_ReadsExactlyWhatUriReads(string value)
    {
        Assert.True(Dsn.TryParsePlain(value, out var plain));
        Assert.True(Dsn.TryParseUri(value, out var viaUri, out _));

        Assert.Equal(viaUri.EnvelopeUrl, plain.EnvelopeUrl);
        Assert.Equal(viaUri.EnvelopeUri, plain.EnvelopeUri);
        Assert.Equal(viaUri.PublicKey, plain.PublicKey);
        Assert.Equal(viaUri.SecretKey, plain.SecretKey);
        Assert.Equal(viaUri.ProjectId, plain.ProjectId);
        Assert.Equal(viaUri.Redacted, plain.Redacted);
    }

    [Theory]
    [InlineData("https://k%40y@host/1")]
    [InlineData("https://key@[::1]:9000/1")]
    [InlineData("https://key@bücher.example/1")]
    [InlineData("https://key@host/1?x=y")]
    [InlineData("https://key@host/./1")]
    [InlineData("https://key@host/.")]
    [InlineData("https://key@host:0/1")]
    [InlineData("https://key@host:99999/1")]
    [InlineData("https://key@-host/1")]
    public void TryParsePlain_AnythingElse_LeavesItToUri(string value)
        => Assert.False(Dsn.TryParsePlain(value, out _));

    [Fact]
    public void TryParse_EscapedAndIpv6Dsns_AreReadThroughUri()
    {
        Assert.True(Dsn.TryParse("https://k%40y@[::1]:9000/1", out var dsn, out _));

        Assert.Equal("k@y", dsn.PublicKey);
        Assert.Equal("https://[::1]:9000/api/1/envelope/", dsn.EnvelopeUrl);
    }
}
