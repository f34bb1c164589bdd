using System.Net;
using System.Net.Sockets;

namespace ErrorReporting.Tests.Infrastructure;

/// <summary>Loopback ports for tests that need a server's address before the server listens (connection refused first).</summary>
internal static class LoopbackPort
{
    /// <summary>A port nothing listens on at the time of the call: the system's pick for a listener that is closed at once.</summary>
    public static int Free()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
