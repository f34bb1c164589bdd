namespace TutorialApp;

/// <summary>A checkout that fails, so the unhandled event has an exception chain with stack frames to look at.</summary>
internal static class Checkout
{
    public static void Run(int orderId)
    {
        try
        {
            ChargeCard(orderId);
        }
        catch (TimeoutException exception)
        {
            throw new InvalidOperationException($"Checkout of order {orderId} failed.", exception);
        }
    }

    private static void ChargeCard(int orderId)
        => throw new TimeoutException($"The payment gateway did not answer within 3 s for order {orderId}.");
}
