using ErrorReporting.Testing;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>
/// A <see cref="SentryTestServer"/> that does not listen yet: its DSN on a free loopback port (connection refused)
/// until the test starts it on that port.
/// </summary>
internal sealed class LaterServer
{
    /// <summary>Picks a free port for a server with <paramref name="publicKey"/>.</summary>
    public LaterServer(string publicKey)
    {
        Options = new SentryTestServerOptions { Port = LoopbackPort.Free(), PublicKey = publicKey };
        Dsn = $"http://{publicKey}@127.0.0.1:{Options.Port}/{Options.ProjectId}";
    }

    /// <summary>Gets the options the server will start with.</summary>
    public SentryTestServerOptions Options { get; }

    /// <summary>Gets the DSN of the server (nothing listens at it until <see cref="StartAsync"/>).</summary>
    public string Dsn { get; }

    /// <summary>Starts listening at <see cref="Dsn"/>.</summary>
    public Task<SentryTestServer> StartAsync() => SentryTestServer.StartAsync(Options);
}
