using Sentry.Integrations;

namespace ErrorReporting.Delivery;

/// <summary>
/// Starts the delivery engine when the SDK's hub is initialised with the options that hold it (the SDK registers its
/// integrations in the hub's constructor, before anything is captured through it).
/// </summary>
internal sealed class DeliveryIntegration(DeliveryEngine engine) : ISdkIntegration
{
    public void Register(IHub hub, SentryOptions options) => engine.Activate(hub);
}
