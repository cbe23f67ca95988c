namespace Subclone.Models.Families;

/// <summary>
/// GGUF key-value metadata in the order it is written. Values keep their C# type, which picks the GGUF value type:
/// uint → UINT32, int → INT32, float → FLOAT32, bool → BOOL, string → STRING, and arrays of string / float / int.
/// </summary>
public sealed class GgufMetadata
{
    readonly List<KeyValuePair<string, object>> entries = [];
    readonly HashSet<string> keys = new(StringComparer.Ordinal);

    /// <summary>The entries, in insertion order.</summary>
    public IReadOnlyList<KeyValuePair<string, object>> Entries => entries;

    /// <summary>Whether <paramref name="key"/> was added.</summary>
    public bool Has(string key) => keys.Contains(key);

    /// <summary>Adds an unsigned 32-bit value (counts, lengths, token ids).</summary>
    public GgufMetadata Add(string key, uint value) => Put(key, value);
    /// <summary>Adds a signed 32-bit value (token types).</summary>
    public GgufMetadata Add(string key, int value) => Put(key, value);
    /// <summary>Adds a 32-bit float (epsilons, RoPE base, soft-caps).</summary>
    public GgufMetadata Add(string key, float value) => Put(key, value);
    /// <summary>Adds a bool.</summary>
    public GgufMetadata Add(string key, bool value) => Put(key, value);
    /// <summary>Adds a UTF-8 string.</summary>
    public GgufMetadata Add(string key, string value) => Put(key, value);
    /// <summary>Adds an array of strings (tokens, merges).</summary>
    public GgufMetadata Add(string key, IReadOnlyList<string> value) => Put(key, value);
    /// <summary>Adds an array of floats (token scores).</summary>
    public GgufMetadata Add(string key, IReadOnlyList<float> value) => Put(key, value);
    /// <summary>Adds an array of int32 (token types).</summary>
    public GgufMetadata Add(string key, IReadOnlyList<int> value) => Put(key, value);

    /// <summary>Runs <paramref name="more"/> (which adds further keys) and returns this, to keep a chain of adds going.</summary>
    public GgufMetadata Also(Action more)
    {
        more();
        return this;
    }

    GgufMetadata Put(string key, object value)
    {
        // A duplicate key makes llama.cpp refuse the file, so it is a bug here, not the user's input.
        if (!keys.Add(key)) throw new InvalidOperationException($"GGUF key '{key}' written twice");
        entries.Add(new(key, value));
        return this;
    }
}
