namespace TutorialApp.Tests;

/// <summary>
/// One app for a test class, reporting to itself, with a known public key for its embedded endpoint
/// (<c>--Tutorial:PublicKey</c>) so tests can post envelopes as the SDK does.
/// </summary>
public sealed class TutorialAppFixture : IAsyncLifetime
{
    private TutorialAppProcess? _app;

    /// <summary>Gets the key the embedded endpoint accepts.</summary>
    public string PublicKey { get; } = Guid.NewGuid().ToString("N");

    internal TutorialAppProcess App => _app ?? throw new InvalidOperationException("The app is not started.");

    public async Task InitializeAsync() => _app = await TutorialAppProcess.StartAsync(null, $"--Tutorial:PublicKey={PublicKey}");

    public async Task DisposeAsync()
    {
        if (_app is not null)
        {
            await _app.DisposeAsync();
        }
    }
}
