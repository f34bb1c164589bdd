namespace ErrorReporting;

/// <summary>
/// The user affected by an event. Every property is optional; Sentry needs at least one to show a user.
/// </summary>
/// <remarks>This is personal data: it is sent because the application passes it, whatever <see cref="ErrorReportingOptions.SendDefaultPii"/> says.</remarks>
public sealed class SentryUser
{
    /// <summary>Gets or sets the application's id for the user.</summary>
    public string? Id { get; set; }

    /// <summary>Gets or sets the user name.</summary>
    public string? Username { get; set; }

    /// <summary>Gets or sets the e-mail address.</summary>
    public string? Email { get; set; }

    /// <summary>Gets or sets the IP address (IPv4 or IPv6 text).</summary>
    public string? IpAddress { get; set; }
}
