using System.Text.Json;
using System.Text.Json.Nodes;

namespace Subclone.Models.Families;

/// <summary>A config field that changes the forward pass when <see cref="Changes"/> holds for the config.json it is in.</summary>
/// <param name="Name">The config.json key.</param>
/// <param name="Changes">Whether this config's value makes the forward differ from the field's neutral value.</param>
public sealed record ForwardField(string Name, Func<JsonObject, bool> Changes);

/// <summary>
/// Config fields that change the forward pass when set. A family lists in <see cref="ModelFamily.ImplementedFields"/>
/// the ones its module computes; any other one present with a value that changes the forward is refused by name
/// rather than ignored, so a parent is never silently computed as a different function. Rotary scaling
/// (<c>rope_scaling</c> / <c>rope_parameters</c>) is parsed, and its unknown types refused, by Models/Rotary.
/// </summary>
public static class ForwardFields
{
    static bool Set(JsonObject json, string key) => json[key] is { } v && v.GetValueKind() != JsonValueKind.Null;
    static bool IsTrue(JsonObject json, string key) => json[key] is JsonValue v && v.GetValueKind() == JsonValueKind.True;
    static bool IsFalse(JsonObject json, string key) => json[key] is JsonValue v && v.GetValueKind() == JsonValueKind.False;
    // Read from the JSON text: a value set from C# (not parsed) refuses GetValue<double> for an int.
    static bool Differs(JsonObject json, string key, double neutral) =>
        Set(json, key) && !(double.TryParse(json[key]!.ToJsonString(), System.Globalization.NumberStyles.Float,
            System.Globalization.CultureInfo.InvariantCulture, out double x) && x == neutral);
    static ForwardField WhenSet(string key) => new(key, json => Set(json, key));
    static ForwardField WhenTrue(string key) => new(key, json => IsTrue(json, key));
    static ForwardField WhenNot(string key, double neutral) => new(key, json => Differs(json, key, neutral));

    /// <summary>Every forward-changing field Subclone knows of, across Hugging Face's decoder and encoder configs.</summary>
    public static IReadOnlyList<ForwardField> Known { get; } =
    [
        // Sliding-window attention: Mistral applies sliding_window whenever it is set; Qwen2/Qwen3 only with use_sliding_window.
        new("sliding_window", json => Set(json, "sliding_window") && !IsFalse(json, "use_sliding_window")),
        new("use_sliding_window", json => IsTrue(json, "use_sliding_window") && Set(json, "sliding_window")),
        new("layer_types", json => json["layer_types"] is JsonArray types
            && types.Any(t => t is not JsonValue v || v.GetValueKind() != JsonValueKind.String || v.GetValue<string>() != "full_attention")),
        WhenSet("no_rope_layers"),
        WhenSet("attention_chunk_size"),
        // Gemma-style soft-capping and scaling.
        WhenSet("attn_logit_softcapping"), WhenSet("final_logit_softcapping"), WhenSet("query_pre_attn_scalar"),
        // Partial rotary embeddings (Phi-3/4, GPT-NeoX, Persimmon).
        WhenNot("partial_rotary_factor", 1), WhenNot("rotary_pct", 1),
        WhenTrue("use_parallel_residual"), WhenTrue("parallel_attn"),
        // q/k norms and clipping flags of other families (OLMo, Phi, Persimmon, Cohere).
        WhenSet("clip_qkv"), WhenTrue("qk_layernorm"), WhenTrue("use_qk_norm"),
        // Granite's multipliers.
        WhenNot("embedding_multiplier", 1), WhenNot("residual_multiplier", 1), WhenNot("attention_multiplier", 1), WhenNot("logits_scaling", 1),
        // Mixture of experts: implemented by the MoE families (Mixtral, Qwen3-MoE, OLMoE), refused by the others.
        WhenSet("num_local_experts"), WhenSet("num_experts"), WhenSet("n_routed_experts"),
        // GPT-2's attention options.
        new("scale_attn_weights", json => IsFalse(json, "scale_attn_weights")),
        WhenTrue("scale_attn_by_inverse_layer_idx"), WhenTrue("add_cross_attention"),
        // BERT's relative position embeddings and decoder mode.
        new("position_embedding_type", json => json["position_embedding_type"] is JsonValue v
            && v.GetValueKind() == JsonValueKind.String && v.GetValue<string>() != "absolute"),
        WhenTrue("is_decoder"),
    ];

    /// <summary>Throws a <see cref="CheckpointException"/> naming the first field of <paramref name="json"/> that changes
    /// the forward and that <paramref name="family"/> does not implement.</summary>
    public static void RefuseUnimplemented(JsonObject json, ModelFamily family, string path)
    {
        foreach (var field in Known)
            if (!family.ImplementedFields.Contains(field.Name) && field.Changes(json))
                throw new CheckpointException(path,
                    $"field '{field.Name}' ({json[field.Name]?.ToJsonString() ?? "null"}) changes the forward pass in a way Subclone's {family} does not implement");
    }
}
