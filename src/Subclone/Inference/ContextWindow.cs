namespace Subclone.Inference;

/// <summary>
/// Which of a row's tokens the model reads before predicting the next one, under a limit of <c>limit</c> tokens.
/// <para>Rotary models evict: the window always starts at the first token, and the cache masks every key more than
/// limit − 1 tokens before a query (the oldest entries are overwritten), as a sliding window of that size over the
/// whole text would. Positions keep growing; scores depend only on position differences, which stay below the limit.</para>
/// <para>Learned positions (GPT-2) cannot go past the model's last position, and shifting cached keys would not
/// move the position embeddings mixed into them, so such a model re-reads: once the window would exceed the limit it
/// restarts at position 0 on the most recent ⌈limit/2⌉ tokens, re-prefilled. Halving amortises the re-prefill to
/// about one extra token's forward per generated token, where re-reading a full window every step (what the uncached
/// generator used to do) costs a whole window's forward per token.</para>
/// </summary>
public sealed class ContextWindow(int limit, bool reread)
{
    /// <summary>The first token the model reads.</summary>
    public int Start { get; private set; }

    /// <summary>Tokens kept when a learned-position window restarts.</summary>
    public int Keep => Math.Max(1, (limit + 1) / 2);

    /// <summary>The window for a prompt of <paramref name="length"/> tokens: a learned-position model reads its last <c>limit</c>.</summary>
    public void Begin(int length) => Start = reread ? Math.Max(0, length - limit) : 0;

    /// <summary>After the row grew to <paramref name="length"/> tokens: whether the window moved (the context must be re-read).</summary>
    public bool Advance(int length)
    {
        if (!reread || length - Start <= limit) return false;
        Start = length - Keep;
        return true;
    }
}
