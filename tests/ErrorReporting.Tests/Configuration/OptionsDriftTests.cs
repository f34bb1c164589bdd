using System.Collections;
using System.Globalization;
using System.Reflection;
using ErrorReporting.Configuration;
using ErrorReporting.Processors;
using ErrorReporting.Tests.Infrastructure;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Tests.Configuration;

/// <summary>
/// The <c>"Sentry"</c> section cannot drift from the SDK's options: every settable option of the SDK (and of
/// ErrorReporting) is either bound from configuration (<see cref="BindableErrorReportingOptions"/>) or listed here as
/// deliberately unbindable, with the reason; and every bound key, set in a configuration, arrives in the resolved
/// <see cref="ErrorReportingOptions"/>. A new SDK option, or one renamed, fails the first test until it is bound or
/// listed. The SDK keeps <see cref="SentryOptions.JsonPreserveReferences"/> in a static (setting it on any options
/// changes its serializer for the whole process), so these tests run in the SDK's non-parallel collection and put it
/// back when they end.
/// </summary>
[Collection(SharedSentrySdk.Name)]
public sealed class OptionsDriftTests : IDisposable
{
    /// <summary>Settable options that configuration does not bind, each with the reason.</summary>
    private static readonly Dictionary<string, string> s_unbindable = new(StringComparer.Ordinal)
    {
        [nameof(SentryOptions.AssemblyReader)] = "a delegate (code that opens a module), not a value",
        [nameof(SentryOptions.BackgroundWorker)] = "an object; ErrorReporting installs its delivery engine here",
        [nameof(SentryOptions.ConfigureClient)] = "a delegate (code that configures the HttpClient), not a value",
        [nameof(SentryOptions.CrashedLastRun)] = "a delegate (code that tells whether the last run crashed), not a value",
        [nameof(SentryOptions.CreateHttpMessageHandler)] = "a delegate (code that creates the HTTP handler), not a value",
        [nameof(SentryOptions.DiagnosticLogger)] = "an object; ErrorReporting routes it to ILogger (Debug and DiagnosticLevel are bound)",
#pragma warning disable CS0618 // Obsolete: listed because the SDK declares it obsolete.
        [nameof(SentryOptions.EnableMetrics)] = "obsolete in the SDK; configuration should not start depending on it",
#pragma warning restore CS0618
        [nameof(SentryOptions.HttpProxy)] = "an object (IWebProxy, with credentials and bypass rules); set it in code",
        [nameof(SentryOptions.NetworkStatusListener)] = "an object, hidden from the SDK's own API surface (EditorBrowsable never)",
        [nameof(SentryOptions.ScopeObserver)] = "an object (a native scope bridge)",
        [nameof(SentryOptions.SentryScopeStateProcessor)] = "an object (code that applies scope state)",
        [nameof(SentryOptions.TracesSampler)] = "a delegate (a sampling function), not a value; TracesSampleRate is bound",
        [nameof(SentryOptions.Transport)] = "an object; ErrorReporting's delivery engine sends",
    };

    private static readonly PropertyInfo[] s_boundKeys = typeof(BindableErrorReportingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance);

    private readonly bool _jsonPreserveReferences = new SentryOptions().JsonPreserveReferences;

    public void Dispose() => new SentryOptions().JsonPreserveReferences = _jsonPreserveReferences;

    [Fact]
    public void SentrySection_SdkOptions_EachIsBoundOrListedAsUnbindable()
    {
        var bound = s_boundKeys.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var problems = new List<string>();

        foreach (var option in SettableOptions())
        {
            if (!bound.Contains(option.Name) && !s_unbindable.ContainsKey(option.Name))
            {
                problems.Add($"{option.Name} ({option.PropertyType.Name}, {(IsBindable(option.PropertyType) ? "bindable" : "not bindable")}) is neither bound by BindableErrorReportingOptions nor listed as unbindable with a reason");
            }
        }

        var settable = SettableOptions().ToDictionary(p => p.Name, StringComparer.Ordinal);
        foreach (var (name, reason) in s_unbindable)
        {
            if (!settable.TryGetValue(name, out var option))
            {
                problems.Add($"{name} is listed as unbindable but is no settable option any more");
            }
            else if (bound.Contains(name))
            {
                problems.Add($"{name} is listed as unbindable ({reason}) but is bound");
            }
            else if (IsBindable(option.PropertyType) && option.GetCustomAttribute<ObsoleteAttribute>() is null)
            {
                problems.Add($"{name} ({option.PropertyType.Name}) could be bound: only obsolete options of bindable types may be listed");
            }
        }

        foreach (var key in s_boundKeys)
        {
            if (!settable.ContainsKey(key.Name))
            {
                problems.Add($"the bound key {key.Name} is no settable option of ErrorReportingOptions");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    [Fact]
    public void AddErrorReporting_ConfigurationSettingEveryBoundKey_EachValueArrives()
    {
        var defaults = new ErrorReportingOptions();
        var values = new Dictionary<string, string?>(StringComparer.Ordinal);
        var expected = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var key in s_boundKeys)
        {
            var option = typeof(ErrorReportingOptions).GetProperty(key.Name)!;
            expected[key.Name] = Sample(key.Name, option, option.GetValue(defaults), values);
            Assert.NotEqual(Text(option.GetValue(defaults)), expected[key.Name]);
        }

        var configuration = new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(v => "Sentry:" + v.Key, v => v.Value)).Build();
        using var provider = new ServiceCollection().AddErrorReporting(configuration.GetSection("Sentry")).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<ErrorReportingOptions>>().Value;

        Assert.True(s_boundKeys.Length >= 50, $"only {s_boundKeys.Length} bound keys found");
        var problems = new List<string>();
        foreach (var key in s_boundKeys)
        {
            var actual = key.Name == nameof(SentryOptions.ReportAssembliesMode)
                ? Text(options.GetAllEventProcessors().OfType<ModulesProcessor>().Single().Mode) // ErrorReporting computes the modules list itself, in the chosen mode.
                : Text(typeof(ErrorReportingOptions).GetProperty(key.Name)!.GetValue(options));
            if (actual != expected[key.Name])
            {
                problems.Add($"{key.Name}: expected {expected[key.Name]}, got {actual}");
            }
        }

        Assert.True(problems.Count == 0, string.Join(Environment.NewLine, problems));
    }

    /// <summary>The public settable options of <see cref="ErrorReportingOptions"/> (the SDK's and ErrorReporting's), and the SDK's collections the binder could fill without a setter.</summary>
    private static IEnumerable<PropertyInfo> SettableOptions() =>
        typeof(ErrorReportingOptions).GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.SetMethod is { IsPublic: true } || (p.GetMethod is { IsPublic: true } && IsCollection(p.PropertyType)));

    private static bool IsCollection(Type type) => type != typeof(string) && typeof(IEnumerable).IsAssignableFrom(type);

    /// <summary>
    /// Whether the configuration binder could set a value of this type from text: a primitive, an enum, a string,
    /// <see cref="TimeSpan"/>, <see cref="Uri"/> and the like, a type built from one string or number (the SDK's
    /// <see cref="StringOrRegex"/> and <see cref="HttpStatusCodeRange"/>), or a list or string-keyed dictionary of those.
    /// Delegates and interfaces are not.
    /// </summary>
    private static bool IsBindable(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(TimeSpan)
            || type == typeof(Uri) || type == typeof(Guid) || type == typeof(DateTime) || type == typeof(DateTimeOffset))
        {
            return true;
        }

        if (type.IsGenericType && IsCollection(type))
        {
            var arguments = type.GetGenericArguments();
            return arguments.Length switch
            {
                1 => IsBindable(arguments[0]),
                2 => arguments[0] == typeof(string) && IsBindable(arguments[1]),
                _ => false,
            };
        }

        return !type.IsInterface && !typeof(Delegate).IsAssignableFrom(type)
            && (type.GetConstructor([typeof(string)]) is not null || type.GetConstructor([typeof(int)]) is not null);
    }

    /// <summary>Adds the configuration values of a value other than <paramref name="current"/>; returns the expected option as <see cref="Text"/>.</summary>
    private static string Sample(string key, PropertyInfo option, object? current, Dictionary<string, string?> values)
    {
        var type = Nullable.GetUnderlyingType(option.PropertyType) ?? option.PropertyType;
        switch (key)
        {
            case nameof(SentryOptions.Dsn):
                return Set("https://key@sentry.example.com/42");
            case nameof(SentryOptions.SpotlightUrl):
                return Set("http://localhost:9999/stream");
            case nameof(SentryOptions.CacheDirectoryPath):
                return Set(Path.Combine(Path.GetTempPath(), "options-drift-cache"));
            case nameof(SentryOptions.ReportAssembliesMode):
                return Set(nameof(ReportAssembliesMode.InformationalVersion));
        }

        if (type == typeof(string))
        {
            return Set(key + "-value");
        }

        if (type == typeof(bool))
        {
            return Set(current is true ? "false" : "true");
        }

        if (type == typeof(int) || type == typeof(long))
        {
            return Set((Convert.ToInt64(current, CultureInfo.InvariantCulture) + 7).ToString(CultureInfo.InvariantCulture));
        }

        if (type == typeof(float) || type == typeof(double))
        {
            return Set(current is 0.25f or 0.25d ? "0.5" : "0.25");
        }

        if (type == typeof(TimeSpan))
        {
            return Set(((TimeSpan)current! + TimeSpan.FromSeconds(3)).ToString("c", CultureInfo.InvariantCulture));
        }

        if (type.IsEnum)
        {
            return Set(Enum.GetNames(type).First(name => !Equals(Enum.Parse(type, name), current)));
        }

        if (type == typeof(Dictionary<string, string>))
        {
            values[key + ":team"] = "payments";
            return "team=payments";
        }

        var element = type.GetGenericArguments().Single();
        if (element == typeof(StringOrRegex))
        {
            values[key + ":0"] = "first-" + key;
            values[key + ":1"] = "second-" + key;
            return $"first-{key}|second-{key}";
        }

        if (element == typeof(HttpStatusCodeRange))
        {
            values[key + ":0"] = "404";
            values[key + ":1"] = "418";
            return "404-404|418-418";
        }

        throw new InvalidOperationException($"No sample value for {key} ({option.PropertyType}): add one to this test.");

        string Set(string text)
        {
            values[key] = text;
            return Text(type == typeof(float) || type == typeof(double) ? double.Parse(text, CultureInfo.InvariantCulture) : text);
        }
    }

    /// <summary>An option's value as comparable text: numbers invariant, lists joined with '|', dictionaries as key=value.</summary>
    private static string Text(object? value) => value switch
    {
        null => "(null)",
        string text => text,
        bool flag => flag ? "true" : "false",
        float number => ((double)number).ToString(CultureInfo.InvariantCulture),
        double number => number.ToString(CultureInfo.InvariantCulture),
        TimeSpan span => span.ToString("c", CultureInfo.InvariantCulture),
        HttpStatusCodeRange range => FormattableString.Invariant($"{range.Start}-{range.End}"),
        IDictionary<string, string> dictionary => string.Join("|", dictionary.Select(pair => pair.Key + "=" + pair.Value)),
        IEnumerable list => string.Join("|", list.Cast<object?>().Select(Text)),
        IFormattable formattable => formattable.ToString(null, CultureInfo.InvariantCulture),
        _ => value.ToString() ?? "(null)",
    };
}
