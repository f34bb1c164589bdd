using System.Diagnostics.CodeAnalysis;
using System.Reflection;
using Sentry.Extensibility;

namespace ErrorReporting.Processors;

/// <summary>
/// The event's <c>modules</c> (name and version of every loaded assembly), as the SDK's main processor writes them for
/// <see cref="SentryOptions.ReportAssembliesMode"/>, from a list computed once and again only after an assembly loads,
/// where the SDK lists the application domain's assemblies and reads their names (and attributes) for every event:
/// about 39 µs and most of a message event's allocations on the caller's thread. ErrorReporting's setup sets the
/// SDK's own mode to <see cref="ReportAssembliesMode.None"/> and installs this with the mode the application chose.
/// </summary>
internal sealed class ModulesProcessor : ISentryEventProcessor
{
    private static int s_loadedAssemblies;

    private readonly ReportAssembliesMode _mode;
    private Snapshot? _snapshot;

    static ModulesProcessor() => AppDomain.CurrentDomain.AssemblyLoad += static (_, _) => Interlocked.Increment(ref s_loadedAssemblies);

    public ModulesProcessor(ReportAssembliesMode mode)
    {
        if (mode == ReportAssembliesMode.None)
        {
            throw new ArgumentOutOfRangeException(nameof(mode), mode, "Nothing to report.");
        }

        _mode = mode;
    }

    public ReportAssembliesMode Mode => _mode;

    public SentryEvent? Process(SentryEvent @event)
    {
        ArgumentNullException.ThrowIfNull(@event);
        var modules = Current();
        var target = @event.Modules;
        if (target is Dictionary<string, string> dictionary)
        {
            // One allocation of the right size instead of the growth steps of ~100 inserts.
            dictionary.EnsureCapacity(dictionary.Count + modules.Length);
        }

        foreach (var (name, version) in modules)
        {
            target[name] = version;
        }

        return @event;
    }

    /// <summary>Gets the modules of the assemblies loaded now (recomputed after an assembly load).</summary>
    internal KeyValuePair<string, string>[] Current()
    {
        var loaded = Volatile.Read(ref s_loadedAssemblies);
        if (Volatile.Read(ref _snapshot) is { } snapshot && snapshot.LoadedAssemblies == loaded)
        {
            return snapshot.Modules;
        }

        // An assembly loading while this runs changes the counter again, so the next event recomputes.
        var computed = new Snapshot(loaded, Compute(_mode));
        Volatile.Write(ref _snapshot, computed);
        return computed.Modules;
    }

    /// <summary>The SDK's rule: non-dynamic assemblies with a name, and a version that is not blank, the last of a name winning.</summary>
    internal static KeyValuePair<string, string>[] Compute(ReportAssembliesMode mode)
    {
        var modules = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var assembly in AppDomain.CurrentDomain.GetAssemblies())
        {
            if (assembly.IsDynamic)
            {
                continue;
            }

            var name = assembly.GetName();
            if (name.Name is null)
            {
                continue;
            }

            var version = mode == ReportAssembliesMode.InformationalVersion ? InformationalVersion(assembly, name) : name.Version?.ToString();
            if (!string.IsNullOrWhiteSpace(version))
            {
                modules[name.Name] = version;
            }
        }

        return [.. modules];
    }

    /// <summary>The assembly's informational version, or its version when it has none (as the SDK reads it).</summary>
    [SuppressMessage("Design", "CA1031:Do not catch general exception types", Justification = "As the SDK: an attribute that cannot be read falls back to the version.")]
    private static string? InformationalVersion(Assembly assembly, AssemblyName name)
    {
        try
        {
            if (assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion is { Length: > 0 } informational)
            {
                return informational;
            }
        }
        catch (Exception)
        {
            // Falls back to the version, as the SDK does.
        }

        return name.Version?.ToString();
    }

    private sealed record Snapshot(int LoadedAssemblies, KeyValuePair<string, string>[] Modules);
}
