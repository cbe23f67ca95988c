using System.Text.Json.Nodes;

namespace Subclone.Models.Families;

/// <summary>
/// GPT-NeoX's forward-changing config fields beyond the neutral shape: how many dims of each head rotate
/// (int(head_dim · rotary_pct), HF's default rotary_pct 0.25; transformers v5 writes it as
/// rope_parameters.partial_rotary_factor) and whether the block's residual is parallel (default true).
/// </summary>
public sealed record GptNeoXSettings(int RotaryDim, bool ParallelResidual)
{
    /// <summary>The settings of a parsed config (its fields were checked when it was parsed).</summary>
    public static GptNeoXSettings Of(ModelConfig config) => Read(config.Raw, config.HeadDim, "config.json");

    /// <summary>Reads and checks the fields; a bad value is a <see cref="Checkpoints.CheckpointException"/> naming it.</summary>
    public static GptNeoXSettings Read(JsonObject json, int headDim, string path)
    {
        var r = new ConfigReader(json, path);
        var rope = json["rope_parameters"] as JsonObject;
        double? v5Factor = rope is null ? null : new ConfigReader(rope, path).OptionalDouble("partial_rotary_factor");
        string field = v5Factor is null ? "rotary_pct" : "rope_parameters.partial_rotary_factor";
        double factor = v5Factor ?? r.OptionalDouble("rotary_pct") ?? 0.25;
        return new GptNeoXSettings(RotaryDims.Of(headDim, factor, field, path), r.OptionalBool("use_parallel_residual") ?? true);
    }
}
