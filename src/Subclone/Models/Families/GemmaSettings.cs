using System.Text.Json;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;

namespace Subclone.Models.Families;

/// <summary>
/// The config.json fields through which Gemma 2 (Gemma2Config) and Gemma 3 text (Gemma3TextConfig) differ from
/// Llama, with HF's defaults for each model_type. Read from <see cref="ModelConfig.Raw"/>, so a child's config
/// carries them unchanged (except <c>layer_types</c>, which follows the child's layer map).
/// </summary>
public sealed record GemmaSettings
{
    /// <summary>The attention type of a layer: "sliding_attention" (a causal band of <see cref="SlidingWindow"/> keys).</summary>
    public const string Sliding = "sliding_attention";
    /// <summary>The attention type of a layer: "full_attention" (plain causal).</summary>
    public const string Full = "full_attention";

    /// <summary>attn_logit_softcapping: scores become cap·tanh(scores/cap); null disables it.</summary>
    public double? AttentionSoftcap { get; init; }
    /// <summary>final_logit_softcapping: logits become cap·tanh(logits/cap); null disables it.</summary>
    public double? FinalSoftcap { get; init; }
    /// <summary>query_pre_attn_scalar: attention scores are scaled by its -½ power instead of head_dim's.</summary>
    public required double QueryPreAttnScalar { get; init; }
    /// <summary>sliding_window: how many keys (the query's own included) a sliding layer's query sees.</summary>
    public required int SlidingWindow { get; init; }
    /// <summary>Per layer, <see cref="Sliding"/> or <see cref="Full"/>.</summary>
    public required IReadOnlyList<string> LayerTypes { get; init; }
    /// <summary>Gemma 3: (1+w) RMSNorms q_norm / k_norm over head_dim, before RoPE.</summary>
    public bool QkNorm { get; init; }
    /// <summary>Gemma 3's sliding layers' RoPE: default RoPE with rope_local_base_freq (Gemma3TextModel.rotary_emb_local),
    /// or v5's rope_parameters["sliding_attention"]. Null (Gemma 2): every layer uses the config's own
    /// <see cref="ModelConfig.Rope"/>, which for Gemma 3 is the global (full attention) layers' rope_theta and rope_scaling.</summary>
    public RopeParameters? LocalRope { get; init; }

    /// <summary>The RoPE of a layer of the given kind.</summary>
    public RopeParameters RopeFor(ModelConfig config, bool sliding) => sliding && LocalRope is { } local ? local : config.Rope;

    /// <summary>Whether layer <paramref name="layer"/> attends through a sliding window.</summary>
    public bool IsSliding(int layer) => LayerTypes[layer] == Sliding;

    /// <summary>The settings of <paramref name="config"/> (a Gemma family's config); bad values are
    /// <see cref="CheckpointException"/>s naming <paramref name="path"/> and the field.</summary>
    public static GemmaSettings Of(ModelConfig config, string path = "config.json")
    {
        var json = config.Raw;
        var r = new ConfigReader(json, path);
        var options = GemmaOptions.Of(config);
        // Absent means HF's default; an explicit null means "no capping" (Gemma 3's default).
        double? Cap(string key, double? fallback) => json.ContainsKey(key) ? r.OptionalDouble(key) : fallback;
        var settings = new GemmaSettings
        {
            AttentionSoftcap = Cap("attn_logit_softcapping", options.AttentionSoftcapDefault),
            FinalSoftcap = Cap("final_logit_softcapping", options.FinalSoftcapDefault),
            QueryPreAttnScalar = r.OptionalDouble("query_pre_attn_scalar") ?? 256,
            SlidingWindow = r.OptionalInt("sliding_window") ?? 4096,
            LayerTypes = ReadLayerTypes(r, config.Layers, options),
            QkNorm = options.QkNorm,
            LocalRope = options.LocalRope ? ReadLocalRope(config, json, r, path) : null,
        };
        settings.Validate(r, path);
        return settings;
    }

    void Validate(ConfigReader r, string path)
    {
        void Positive(double? value, string field)
        {
            if (value is double v && !(v > 0 && double.IsFinite(v)))
                throw new CheckpointException(path, $"field '{field}' must be positive, got {v}");
        }
        Positive(AttentionSoftcap, "attn_logit_softcapping");
        Positive(FinalSoftcap, "final_logit_softcapping");
        Positive(QueryPreAttnScalar, "query_pre_attn_scalar");
        if (SlidingWindow <= 0) throw new CheckpointException(path, $"field 'sliding_window' must be positive, got {SlidingWindow}");
        // HF has no mask for a sliding layer without a window; null is refused rather than read as "full".
        bool anySliding = LayerTypes is PatternLayerTypes pattern ? pattern.AnySliding : LayerTypes.Contains(Sliding);
        if (r.IsNull("sliding_window") && anySliding)
            throw new CheckpointException(path, "field 'sliding_window' is null but layers use sliding attention");
        // Gemma 3's bidirectional variant (EmbeddingGemma) attends both ways: a different forward, not implemented.
        if (r.OptionalBool("use_bidirectional_attention") == true)
            throw new CheckpointException(path, "field 'use_bidirectional_attention' true (bidirectional attention) is not supported");
    }

    static RopeParameters ReadLocalRope(ModelConfig config, JsonObject json, ConfigReader r, string path)
    {
        if (json["rope_parameters"] is JsonObject v5 && v5.ContainsKey(Sliding))
            return RopeParametersReader.Read(json, path, config.HeadDim, config.MaxPositions, Sliding);
        double theta = r.OptionalDouble("rope_local_base_freq") ?? 10000;
        if (!(theta > 0 && double.IsFinite(theta))) throw new CheckpointException(path, $"field 'rope_local_base_freq' must be positive, got {theta}");
        return RopeParameters.Default(theta, config.MaxPositions);
    }

    /// <summary>
    /// layer_types as given, else HF's rule: Gemma 2 slides on even layers (Gemma2Attention's
    /// <c>not bool(layer_idx % 2)</c>); Gemma 3 slides unless (i+1) is a multiple of sliding_window_pattern (default 6).
    /// </summary>
    internal static IReadOnlyList<string> ReadLayerTypes(ConfigReader r, int layers, GemmaOptions options)
    {
        string path = r.Path;
        if (r.Json["layer_types"] is { } node)
        {
            if (node is not JsonArray list || list.Any(t => t is not JsonValue v || v.GetValueKind() != JsonValueKind.String
                    || v.GetValue<string>() is not (Sliding or Full)))
                throw new CheckpointException(path, $"field 'layer_types' must be a list of \"{Sliding}\" / \"{Full}\", got {node.ToJsonString()}");
            if (list.Count != layers)
                throw new CheckpointException(path, $"field 'layer_types' has {list.Count} entries for {layers} layers ('num_hidden_layers')");
            return list.Select(t => t!.GetValue<string>()).ToArray();
        }
        int pattern = (options.SlidingWindowPatternKey ? r.OptionalInt("sliding_window_pattern") : null) ?? options.SlidingWindowPatternDefault;
        if (pattern <= 0) throw new CheckpointException(path, $"field 'sliding_window_pattern' must be positive, got {pattern}");
        return new PatternLayerTypes(Math.Max(layers, 0), pattern);
    }

    /// <summary>The types a pattern gives, computed per index: a config may declare billions of layers, and it is
    /// refused for that only later, against its weight files.</summary>
    sealed class PatternLayerTypes(int count, int pattern) : IReadOnlyList<string>
    {
        public string this[int index] => (uint)index < (uint)count
            ? ((index + 1) % pattern != 0 ? Sliding : Full)
            : throw new ArgumentOutOfRangeException(nameof(index));

        public int Count => count;

        /// <summary>Whether some layer slides: every layer is full only with pattern 1.</summary>
        public bool AnySliding => count > 0 && pattern != 1;

        public IEnumerator<string> GetEnumerator()
        {
            for (int i = 0; i < count; i++) yield return this[i];
        }

        System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
