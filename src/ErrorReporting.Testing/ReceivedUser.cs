using System.Text.Json;
using ErrorReporting.Testing.Internal;

namespace ErrorReporting.Testing;

/// <summary>
/// The <c>user</c> of a received event.
/// </summary>
public sealed class ReceivedUser
{
    internal ReceivedUser(JsonElement json)
    {
        Id = JsonRead.Scalar(json, "id");
        Username = JsonRead.String(json, "username");
        Email = JsonRead.String(json, "email");
        IpAddress = JsonRead.String(json, "ip_address");
    }

    /// <summary>Gets <c>user.id</c> (a number is given as its JSON text), or <see langword="null"/>.</summary>
    public string? Id { get; }

    /// <summary>Gets <c>user.username</c>, or <see langword="null"/>.</summary>
    public string? Username { get; }

    /// <summary>Gets <c>user.email</c>, or <see langword="null"/>.</summary>
    public string? Email { get; }

    /// <summary>Gets <c>user.ip_address</c>, or <see langword="null"/>.</summary>
    public string? IpAddress { get; }
}
