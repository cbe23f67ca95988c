using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Subclone.Models;

/// <summary>
/// Reads <see cref="RopeParameters"/> from a config.json in either naming: the Hub's (<c>rope_scaling</c> with
/// <c>rope_type</c> or the legacy <c>type</c>, top-level <c>rope_theta</c>, <c>partial_rotary_factor</c> and Phi-3's
/// top-level <c>original_max_position_embeddings</c>) or transformers v5's (<c>rope_parameters</c>, which also holds
/// <c>rope_theta</c>, optionally one object per layer type). A type Subclone does not compute, or a field the type
/// needs that is missing or malformed, is a <see cref="CheckpointException"/> naming config.json and the field:
/// computing a different function than the checkpoint's silently is the one thing not allowed.
/// </summary>
public static class RopeParametersReader
{
    /// <summary>The rope of a config whose heads are <paramref name="headDim"/> wide and whose
    /// max_position_embeddings is <paramref name="maxPositions"/>. <paramref name="layerType"/> picks one entry of a
    /// v5 <c>rope_parameters</c> keyed by layer type (Gemma 3's "full_attention" / "sliding_attention") where present.</summary>
    public static RopeParameters Read(JsonObject config, string path, int headDim, int maxPositions, string? layerType = null)
    {
        var top = new ConfigReader(config, path);
        var (source, name) = Source(config, path, layerType);
        var fields = source is null ? null : new Fields(source, name, path);
        if (fields is not null && config["rope_scaling"] is JsonObject scaling && name != "rope_scaling")
        {
            // Both namings at once: only consistent if they name the same type.
            var legacy = new Fields(scaling, "rope_scaling", path);
            if (legacy.Type(required: false) is { } t && t != fields.Type(required: false))
                throw new CheckpointException(path, $"fields 'rope_scaling' ({t}) and '{name}' ({fields.Type(false)}) disagree");
        }

        double theta = fields?.Number("rope_theta") ?? top.OptionalDouble("rope_theta") ?? top.OptionalDouble("rotary_emb_base") ?? 10000;
        string thetaField = fields?.Has("rope_theta") == true ? $"{name}.rope_theta" : "rope_theta";
        if (!(theta > 0) || double.IsInfinity(theta)) throw new CheckpointException(path, $"field '{thetaField}' must be positive, got {theta}");

        string partialField = fields?.Has("partial_rotary_factor") == true ? $"{name}.partial_rotary_factor"
            : config.ContainsKey("partial_rotary_factor") || !config.ContainsKey("rotary_pct") ? "partial_rotary_factor" : "rotary_pct";
        double partial = fields?.Number("partial_rotary_factor") ?? top.OptionalDouble("partial_rotary_factor") ?? top.OptionalDouble("rotary_pct") ?? 1.0;
        if (!(partial > 0 && partial <= 1)) throw new CheckpointException(path, $"field '{partialField}' must be in (0, 1], got {partial}");

        var rope = new RopeParameters { Theta = theta, PartialRotaryFactor = partial, MaxPositions = maxPositions };
        int rotaryDim = rope.RotaryDim(headDim);
        if (headDim > 0 && (rotaryDim < 2 || rotaryDim % 2 != 0))
            throw new CheckpointException(path, $"field '{partialField}' ({partial}) rotates {rotaryDim} of {headDim} dims per head; rotary embeddings need an even number ≥ 2");
        if (fields is null) return rope;

        string type = fields.Type(required: true)!;
        return type switch
        {
            "default" => rope,
            "linear" => rope with { RopeType = type, Factor = fields.Factor() },
            "dynamic" => Dynamic(rope with { RopeType = type, Factor = fields.Factor() }, rotaryDim, fields),
            "yarn" => Yarn(rope with { RopeType = type, Factor = fields.Factor() }, fields),
            "llama3" => Llama3(rope with { RopeType = type, Factor = fields.Factor() }, fields),
            "longrope" => LongRope(rope with { RopeType = type }, rotaryDim, fields, top, name == "rope_scaling"),
            _ => throw new CheckpointException(path,
                $"field '{fields.TypeField}' value '{type}' is not supported (Subclone computes {string.Join(", ", RopeParameters.SupportedTypes)})"),
        };
    }

    /// <summary>The object holding the rope type, and its name for errors; null for plain RoPE.</summary>
    static (JsonObject? Source, string Name) Source(JsonObject config, string path, string? layerType)
    {
        foreach (string key in new[] { "rope_parameters", "rope_scaling" })
        {
            var node = config[key];
            if (node is null) continue;
            if (node is not JsonObject obj) throw new CheckpointException(path, $"field '{key}' must be an object, got {node.ToJsonString()}");
            if (key == "rope_parameters" && layerType is not null && obj[layerType] is { } perLayer)
                return perLayer is JsonObject o ? (o, $"{key}.{layerType}")
                    : throw new CheckpointException(path, $"field '{key}.{layerType}' must be an object, got {perLayer.ToJsonString()}");
            return (obj, key);
        }
        return (null, "");
    }

    static RopeParameters Dynamic(RopeParameters rope, int rotaryDim, Fields f)
    {
        // HF raises the base by (…)^(d/(d−2)): two rotary dims would divide by zero.
        if (rotaryDim < 4) throw f.Error("rope_type", $"'dynamic' needs at least 4 rotary dims per head, got {rotaryDim}");
        return rope;
    }

    static RopeParameters Yarn(RopeParameters rope, Fields f)
    {
        double? attention = f.Number("attention_factor");
        if (attention is < 0) throw f.Error("attention_factor", $"must not be negative, got {attention}");
        // HF writes `get("beta_fast") or 32`: an explicit 0 falls back to the default too.
        double betaFast = f.Number("beta_fast") is { } bf && bf != 0 ? bf : 32;
        double betaSlow = f.Number("beta_slow") is { } bs && bs != 0 ? bs : 1;
        int? original = f.PositiveInt("original_max_position_embeddings");
        return rope with
        {
            AttentionFactor = attention, BetaFast = betaFast, BetaSlow = betaSlow,
            Mscale = f.Number("mscale"), MscaleAllDim = f.Number("mscale_all_dim"),
            Truncate = f.Bool("truncate") ?? true,
            OriginalMaxPositions = original ?? rope.MaxPositions,
        };
    }

    static RopeParameters Llama3(RopeParameters rope, Fields f)
    {
        double low = f.Number("low_freq_factor") ?? throw f.Missing("low_freq_factor");
        double high = f.Number("high_freq_factor") ?? throw f.Missing("high_freq_factor");
        int original = f.PositiveInt("original_max_position_embeddings") ?? throw f.Missing("original_max_position_embeddings");
        if (!(low > 0)) throw f.Error("low_freq_factor", $"must be positive, got {low}");
        // The medium band interpolates over high − low: equal factors would divide by zero.
        if (!(high > low)) throw f.Error("high_freq_factor", $"({high}) must exceed 'low_freq_factor' ({low})");
        return rope with { LowFreqFactor = low, HighFreqFactor = high, OriginalMaxPositions = original };
    }

    static RopeParameters LongRope(RopeParameters rope, int rotaryDim, Fields f, ConfigReader top, bool hubNaming)
    {
        var shortFactor = f.Divisors("short_factor", rotaryDim / 2);
        var longFactor = f.Divisors("long_factor", rotaryDim / 2);
        double? attention = f.Number("attention_factor");
        if (attention is < 0) throw f.Error("attention_factor", $"must not be negative, got {attention}");
        int? topOriginal = top.OptionalInt("original_max_position_embeddings");
        if (topOriginal is <= 0) throw new CheckpointException(f.Path, $"field 'original_max_position_embeddings' must be positive, got {topOriginal}");
        int original = topOriginal ?? f.PositiveInt("original_max_position_embeddings") ?? rope.MaxPositions;
        double? factor = f.Has("factor") ? f.Factor() : null;
        // Phi-3 keeps its pre-training length at the top level; HF ≤ 4.x then takes the factor from the ratio of the
        // two lengths, whatever rope_scaling says, while v5's rope_parameters prefer an explicit factor.
        double resolved = topOriginal is not null && (hubNaming || factor is null) ? (double)rope.MaxPositions / original
            : factor ?? (double)rope.MaxPositions / original;
        return rope with
        {
            ShortFactor = shortFactor, LongFactor = longFactor, AttentionFactor = attention,
            OriginalMaxPositions = original, Factor = resolved,
        };
    }

    /// <summary>Typed access to the fields of the rope object, with errors naming e.g. 'rope_scaling.factor'.</summary>
    sealed class Fields(JsonObject json, string name, string path)
    {
        public string Path => path;
        public string TypeField => json.ContainsKey("rope_type") || !json.ContainsKey("type") ? $"{name}.rope_type" : $"{name}.type";

        public bool Has(string key) => json[key] is not null;

        public CheckpointException Error(string key, string problem) => new(path, $"field '{name}.{key}' {problem}");

        public CheckpointException Missing(string key) => new(path, $"field '{name}' ({Type(false)}) is missing required field '{key}'");

        public string? Type(bool required)
        {
            string? type = String("rope_type") ?? String("type");
            if (type is null && required) throw new CheckpointException(path, $"field '{name}' has no 'rope_type' (or legacy 'type')");
            if (String("rope_type") is { } a && String("type") is { } b && a != b)
                throw new CheckpointException(path, $"fields '{name}.rope_type' ({a}) and '{name}.type' ({b}) disagree");
            return type;
        }

        string? String(string key) => json[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            var n => throw Error(key, $"must be a string, got {n.ToJsonString()}"),
        };

        public double? Number(string key) => json[key] switch
        {
            null => null,
            var n => ParseNumber(n) ?? throw Error(key, $"must be a number, got {n.ToJsonString()}"),
        };

        static double? ParseNumber(JsonNode node) =>
            node is JsonValue v && v.GetValueKind() == JsonValueKind.Number
            && double.TryParse(v.ToJsonString(), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && double.IsFinite(x) ? x : null;

        /// <summary>factor: required, finite and positive (HF warns below 1 but computes with it).</summary>
        public double Factor()
        {
            double factor = Number("factor") ?? throw Missing("factor");
            if (!(factor > 0)) throw Error("factor", $"must be positive, got {factor}");
            return factor;
        }

        public int? PositiveInt(string key)
        {
            if (Number(key) is not { } x) return null;
            if (x != Math.Floor(x) || x <= 0 || x > int.MaxValue) throw Error(key, $"must be a positive integer, got {json[key]!.ToJsonString()}");
            return (int)x;
        }

        public bool? Bool(string key) => json[key] switch
        {
            null => null,
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValue<bool>(),
            var n => throw Error(key, $"must be true or false, got {n.ToJsonString()}"),
        };

        /// <summary>A list of <paramref name="count"/> positive numbers, one divisor per rotary frequency.</summary>
        public double[] Divisors(string key, int count)
        {
            if (json[key] is not { } node) throw Missing(key);
            if (node is not JsonArray list || list.Any(e => e is null || ParseNumber(e) is not > 0))
                throw Error(key, $"must be a list of positive numbers, got {node.ToJsonString()}");
            if (list.Count != count)
                throw Error(key, $"has {list.Count} entries; one per rotary frequency is {count} (head_dim/2 × partial_rotary_factor)");
            return list.Select(e => ParseNumber(e!)!.Value).ToArray();
        }
    }
}
