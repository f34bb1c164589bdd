using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;

namespace ErrorReporting.AspNetCore.Internal;

/// <summary>
/// Binds the <c>AspNetCore</c> sub-section onto <see cref="ErrorReportingAspNetCoreOptions"/> with the
/// configuration-binding source generator. List entries add to the defaults.
/// </summary>
internal sealed class AspNetCoreSectionSetup(IConfiguration section) : IConfigureOptions<ErrorReportingAspNetCoreOptions>
{
    public const string SectionName = "AspNetCore";

    public void Configure(ErrorReportingAspNetCoreOptions options) => section.Bind(options);
}
