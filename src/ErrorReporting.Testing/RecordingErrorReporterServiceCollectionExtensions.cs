using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;

namespace ErrorReporting.Testing;

/// <summary>
/// Registers a <see cref="RecordingErrorReporter"/> in an <see cref="IServiceCollection"/>.
/// </summary>
public static class RecordingErrorReporterServiceCollectionExtensions
{
    /// <summary>
    /// Registers one <see cref="RecordingErrorReporter"/> (with the registered <see cref="TimeProvider"/>, if any) and makes
    /// <see cref="IErrorReporter"/> resolve to it, replacing any other registration (such as <c>AddErrorReporting</c>'s).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <returns>The <see cref="IServiceCollection"/> so that additional calls can be chained.</returns>
    /// <exception cref="ArgumentNullException"><paramref name="services"/> is <see langword="null"/>.</exception>
    public static IServiceCollection AddRecordingErrorReporter(this IServiceCollection services)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.TryAddSingleton(provider => new RecordingErrorReporter(provider.GetService<TimeProvider>()));
        services.RemoveAll<IErrorReporter>();
        services.AddSingleton<IErrorReporter>(provider => provider.GetRequiredService<RecordingErrorReporter>());
        return services;
    }
}
