namespace ErrorReporting.Testing;

/// <summary>
/// Options of <see cref="SentryTestServer.StartAsync"/>.
/// </summary>
public class SentryTestServerOptions
{
    /// <summary>Gets or sets the port to listen on at 127.0.0.1.</summary>
    /// <value>The default value is 0: a free port chosen by the system.</value>
    public int Port { get; set; }

    /// <summary>Gets or sets the public key of the DSN.</summary>
    /// <value>The default value is <see langword="null"/>: 32 random hexadecimal characters (as for an empty value).</value>
    public string? PublicKey { get; set; }

    /// <summary>Gets or sets the secret key of the DSN (<c>http://{public}:{secret}@…</c>); when set, requests must carry it.</summary>
    /// <value>The default value is <see langword="null"/>: no secret key (as for an empty value).</value>
    public string? SecretKey { get; set; }

    /// <summary>Gets or sets the project id of the DSN.</summary>
    /// <value>The default value is <c>"42"</c>. It must not be <see langword="null"/> or empty, nor contain <c>/</c>.</value>
    public string ProjectId { get; set; } = "42";
}
