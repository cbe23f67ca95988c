using System.Text.Json.Nodes;
using Subclone.Checkpoints;

namespace Subclone.Models.Families;

/// <summary>
/// Phi-3's forward-changing config fields beyond the neutral shape: how many dims of each head rotate
/// (int(head_dim · partial_rotary_factor), as HF's rope init computes it) and the sliding attention window.
/// </summary>
public sealed record Phi3Settings(int RotaryDim, int? SlidingWindow)
{
    /// <summary>The settings of a parsed config (its fields were checked when it was parsed).</summary>
    public static Phi3Settings Of(ModelConfig config) => Read(config.Raw, config.HeadDim, "config.json");

    /// <summary>Reads and checks the fields; a bad value is a <see cref="CheckpointException"/> naming it.</summary>
    public static Phi3Settings Read(JsonObject json, int headDim, string path)
    {
        var r = new ConfigReader(json, path);
        var rope = json["rope_parameters"] as JsonObject;
        double factor = (rope is null ? null : new ConfigReader(rope, path).OptionalDouble("partial_rotary_factor"))
            ?? r.OptionalDouble("partial_rotary_factor") ?? 1.0;
        int? window = r.OptionalInt("sliding_window");
        if (window is <= 0) throw new CheckpointException(path, $"field 'sliding_window' must be positive, got {window}");
        return new Phi3Settings(RotaryDims.Of(headDim, factor, "partial_rotary_factor", path), window);
    }
}

/// <summary>The rotary width of a head under a partial rotary factor, checked the way a forward needs it.</summary>
public static class RotaryDims
{
    /// <summary>int(<paramref name="headDim"/> · <paramref name="factor"/>), refused unless positive, even and at most head_dim.</summary>
    public static int Of(int headDim, double factor, string field, string path)
    {
        if (!(factor > 0 && factor <= 1)) throw new CheckpointException(path, $"field '{field}' must be in (0, 1], got {factor}");
        int dims = (int)(headDim * factor);
        if (dims == 0 || dims % 2 != 0)
            throw new CheckpointException(path, $"field '{field}' ({factor}) gives {dims} rotary dims of head_dim {headDim}; rotary embeddings need a positive even number");
        return dims;
    }
}
