using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using static TorchSharp.torch;

namespace Subclone.Models.Families;

/// <summary>
/// The two rotary tables a Gemma forward uses: global layers take the config's rope_theta with its rope_scaling;
/// Gemma 3's sliding layers take default RoPE with rope_local_base_freq (Gemma3TextModel.rotary_emb_local).
/// </summary>
public static class GemmaRope
{
    /// <summary>cos and sin [T, head_dim] for layers of the given kind.</summary>
    public static (Tensor Cos, Tensor Sin) Tables(ModelConfig config, GemmaSettings settings, bool sliding, long length)
    {
        if (sliding && settings.LocalRopeTheta is double local) return Rotary.CosSin(length, config.HeadDim, local);
        double factor = LinearFactor(config);
        var (cos, sin) = DefaultTables(length, config.HeadDim, config.RopeTheta, factor);
        return (cos, sin);
    }

    /// <summary>HF's default inverse frequencies, divided by <paramref name="factor"/> (linear scaling: positions / factor).</summary>
    static (Tensor Cos, Tensor Sin) DefaultTables(long length, int headDim, double theta, double factor)
    {
        var invFreq = pow(theta, arange(0, headDim, 2, dtype: ScalarType.Int64).to_type(ScalarType.Float32).div(headDim)).reciprocal();
        if (factor != 1) invFreq = invFreq / factor;
        var freqs = outer(arange(length, dtype: ScalarType.Float32), invFreq);
        var emb = cat([freqs, freqs], -1);
        return (emb.cos(), emb.sin());
    }

    /// <summary>1 without rope_scaling or with the default type; linear's factor; any other type is refused, naming the field.</summary>
    public static double LinearFactor(ModelConfig config, string path = "config.json")
    {
        if (config.Raw["rope_scaling"] is not JsonObject scaling) return 1;
        string? type = (scaling["rope_type"] ?? scaling["type"]) is JsonValue v && v.GetValueKind() == JsonValueKind.String ? v.GetValue<string>() : null;
        if (type is null or "default") return 1;
        if (type != "linear") throw new CheckpointException(path, $"field 'rope_scaling' type '{type}' is not supported for {config.ModelType}");
        if (scaling["factor"] is JsonValue f && f.GetValueKind() == JsonValueKind.Number && f.GetValue<double>() is double factor && factor >= 1)
            return factor;
        throw new CheckpointException(path, $"field 'rope_scaling' needs a 'factor' of at least 1 for linear scaling");
    }
}
