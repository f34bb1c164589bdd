using System.Globalization;
using Microsoft.Extensions.Options;

namespace ErrorReporting.HealthChecks;

/// <summary>Validates <see cref="ErrorReportingHealthCheckOptions"/> (of any name) when a check first reads them.</summary>
internal sealed class ErrorReportingHealthCheckOptionsValidator : IValidateOptions<ErrorReportingHealthCheckOptions>
{
    public ValidateOptionsResult Validate(string? name, ErrorReportingHealthCheckOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return options.UnhealthyAfter > TimeSpan.Zero
            ? ValidateOptionsResult.Success
            : ValidateOptionsResult.Fail(string.Create(
                CultureInfo.InvariantCulture,
                $"{nameof(ErrorReportingHealthCheckOptions)}.{nameof(options.UnhealthyAfter)} is {options.UnhealthyAfter}; expected more than 00:00:00."));
    }
}
