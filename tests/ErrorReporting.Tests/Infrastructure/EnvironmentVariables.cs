namespace ErrorReporting.Tests.Infrastructure;

/// <summary>Sets process environment variables for a test (null removes one) and restores them when disposed.</summary>
internal sealed class EnvironmentVariables : IDisposable
{
    private readonly List<(string Name, string? Previous)> _previous = [];

    public EnvironmentVariables(params (string Name, string? Value)[] variables)
    {
        foreach (var (name, value) in variables)
        {
            _previous.Add((name, Environment.GetEnvironmentVariable(name)));
            Environment.SetEnvironmentVariable(name, value);
        }
    }

    public void Dispose()
    {
        foreach (var (name, previous) in _previous)
        {
            Environment.SetEnvironmentVariable(name, previous);
        }
    }
}
