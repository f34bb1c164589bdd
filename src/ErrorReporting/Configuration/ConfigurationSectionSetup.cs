using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ErrorReporting.Configuration;

/// <summary>
/// Binds a configuration section (the SDK's option names as keys) onto <see cref="ErrorReportingOptions"/> through
/// <see cref="BindableErrorReportingOptions"/>, with the configuration-binding source generator.
/// </summary>
internal sealed class ConfigurationSectionSetup(IConfiguration section) : IConfigureOptions<ErrorReportingOptions>
{
    public void Configure(ErrorReportingOptions options)
    {
        var bindable = new BindableErrorReportingOptions();
        section.Bind(bindable);
        bindable.ApplyTo(options, options.RejectedConfiguration);
    }
}
