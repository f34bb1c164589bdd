namespace ErrorReporting.Testing;

/// <summary>
/// The data of <see cref="SentryEnvelopeReceiver.EventReceived"/>.
/// </summary>
public sealed class SentryEventReceivedEventArgs : EventArgs
{
    /// <summary>
    /// Initializes a new instance of the <see cref="SentryEventReceivedEventArgs"/> class.
    /// </summary>
    /// <param name="receivedEvent">The event that arrived.</param>
    /// <exception cref="ArgumentNullException"><paramref name="receivedEvent"/> is <see langword="null"/>.</exception>
    public SentryEventReceivedEventArgs(ReceivedEvent receivedEvent)
    {
        ArgumentNullException.ThrowIfNull(receivedEvent);
        Event = receivedEvent;
    }

    /// <summary>Gets the event that arrived.</summary>
    public ReceivedEvent Event { get; }
}

/// <summary>
/// The data of <see cref="SentryEnvelopeReceiver.EnvelopeReceived"/>.
/// </summary>
public sealed class SentryEnvelopeReceivedEventArgs : EventArgs
{
    /// <summary>
    /// Initializes a new instance of the <see cref="SentryEnvelopeReceivedEventArgs"/> class.
    /// </summary>
    /// <param name="envelope">The envelope that was accepted.</param>
    /// <exception cref="ArgumentNullException"><paramref name="envelope"/> is <see langword="null"/>.</exception>
    public SentryEnvelopeReceivedEventArgs(ReceivedEnvelope envelope)
    {
        ArgumentNullException.ThrowIfNull(envelope);
        Envelope = envelope;
    }

    /// <summary>Gets the envelope that was accepted.</summary>
    public ReceivedEnvelope Envelope { get; }
}
