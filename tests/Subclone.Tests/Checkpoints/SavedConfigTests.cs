using System.Globalization;
using System.Text.Json.Nodes;
using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>The config.json Save writes is one Hugging Face can load: every shape field, and the original's other fields.</summary>
public class SavedConfigTests
{
    public static TheoryData<string> DecoderFixtures => FixtureLogitsTests.DecoderFixtures;

    /// <summary>What transformers needs to build each model type (it has defaults for some, but a child's shape must not rely on them).</summary>
    static readonly Dictionary<string, string[]> ShapeFields = new()
    {
        ["gpt2"] = ["n_embd", "n_layer", "n_head", "n_inner", "n_positions", "vocab_size", "layer_norm_epsilon", "activation_function"],
        ["llama"] =
        [
            "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
            "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
        ],
        // The Qwen2 fixture (qwen2-tiny-yarn) leaves head_dim to hidden / heads, as Qwen2 configs on the Hub do.
        ["qwen2"] =
        [
            "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
            "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
        ],
        ["qwen3"] =
        [
            "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "head_dim", "intermediate_size",
            "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
        ],
        // OLMo 2 configs leave head_dim to hidden / heads (Subclone writes it, so a child may have hidden ≠ heads × head_dim).
        ["olmo2"] =
        [
            "hidden_size", "num_hidden_layers", "num_attention_heads", "num_key_value_heads", "intermediate_size",
            "vocab_size", "max_position_embeddings", "rms_norm_eps", "rope_theta", "tie_word_embeddings",
        ],
    };

    /// <summary>Fields Save is entitled to rewrite; everything else in the original must survive unchanged.</summary>
    static readonly HashSet<string> Rewritten =
    [
        "model_type", "architectures", "torch_dtype", "dtype", "n_ctx", "tie_word_embeddings", "hidden_act", "attention_bias", "mlp_bias",
        .. ShapeFields.Values.SelectMany(f => f),
    ];

    static (JsonObject Original, JsonObject Saved, LoadedModel Loaded) SaveFixture(string fixture, TempDir temp)
    {
        var loaded = HfCheckpoint.Load(SharedData.Fixture(fixture));
        HfCheckpoint.Save(loaded.Model, temp["saved"], loaded.StoredDtype);
        return (ReadJson(Path.Combine(SharedData.Fixture(fixture), HfCheckpoint.ConfigFile)), ReadJson(Path.Combine(temp["saved"], HfCheckpoint.ConfigFile)), loaded);
    }

    static JsonObject ReadJson(string path) => (JsonObject)JsonNode.Parse(File.ReadAllText(path))!;

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Saved_config_names_the_model_type_class_and_dtype(string fixture)
    {
        using var temp = new TempDir();
        var (original, saved, loaded) = SaveFixture(fixture, temp);

        Assert.Equal(original["model_type"]!.GetValue<string>(), saved["model_type"]?.GetValue<string>());
        var architectures = Assert.IsType<JsonArray>(saved["architectures"]);
        Assert.Equal(original["architectures"]![0]!.GetValue<string>(), Assert.Single(architectures)!.GetValue<string>());
        Assert.Equal(SafeTensorsDtype.TorchName(loaded.StoredDtype), saved["torch_dtype"]?.GetValue<string>());
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Saved_config_spells_out_every_shape_field_with_the_original_values(string fixture)
    {
        using var temp = new TempDir();
        var (original, saved, _) = SaveFixture(fixture, temp);

        foreach (var field in ShapeFields[original["model_type"]!.GetValue<string>()])
        {
            var value = saved[field];
            Assert.True(value is not null, $"{fixture}: saved config.json lacks '{field}'");
            // GPT-2's n_inner: null means 4·n_embd.
            var expected = original[field] ?? (field == "n_inner" ? JsonValue.Create(4 * original["n_embd"]!.GetValue<int>()) : null);
            Assert.True(expected is not null, $"{fixture}: test fixture lacks '{field}'");
            Assert.True(SameValue(expected!, value!), $"{fixture}: '{field}' was {expected!.ToJsonString()}, saved as {value!.ToJsonString()}");
        }
    }

    /// <summary>Equal JSON values, numbers compared by value (10000.0 and 10000 are the same rope_theta).</summary>
    static bool SameValue(JsonNode a, JsonNode b) =>
        a is JsonValue va && b is JsonValue vb && va.GetValueKind() == System.Text.Json.JsonValueKind.Number && vb.GetValueKind() == System.Text.Json.JsonValueKind.Number
            ? double.Parse(va.ToJsonString(), CultureInfo.InvariantCulture) == double.Parse(vb.ToJsonString(), CultureInfo.InvariantCulture)
            : JsonNode.DeepEquals(a, b);

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Saved_config_parses_to_the_same_shape(string fixture)
    {
        using var temp = new TempDir();
        var (_, _, loaded) = SaveFixture(fixture, temp);
        var reparsed = ModelConfig.Load(Path.Combine(temp["saved"], HfCheckpoint.ConfigFile));

        var noRaw = new JsonObject();
        Assert.Equal(loaded.Model.Config with { Raw = noRaw }, reparsed with { Raw = noRaw });
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Config_json_built_in_memory_parses_back_to_the_same_shape(string fixture)
    {
        // Subcloning writes a child's config with ToJson and may parse it again before it ever reaches a file,
        // so the reader must accept numbers that were set from C# values, not only parsed text.
        var config = HfCheckpoint.Load(SharedData.Fixture(fixture)).Model.Config;
        var reparsed = ModelConfig.Parse(config.ToJson(ScalarType.Float32), "in-memory config.json");

        var noRaw = new JsonObject();
        Assert.Equal(config with { Raw = noRaw }, reparsed with { Raw = noRaw });
    }

    [SharedTheory]
    [MemberData(nameof(DecoderFixtures))]
    public void Fields_Subclone_does_not_model_survive_unchanged(string fixture)
    {
        using var temp = new TempDir();
        var (original, saved, _) = SaveFixture(fixture, temp);

        var kept = original.Where(kv => !Rewritten.Contains(kv.Key)).ToList();
        Assert.NotEmpty(kept);
        foreach (var (key, value) in kept)
        {
            Assert.True(saved.ContainsKey(key), $"{fixture}: '{key}' was dropped");
            Assert.True(JsonNode.DeepEquals(value, saved[key]), $"{fixture}: '{key}' was {value?.ToJsonString()}, saved as {saved[key]?.ToJsonString()}");
        }
    }

    [SharedFact]
    public void Hf_tiny_random_gpt2_keeps_its_token_ids_initializer_range_and_nulls()
    {
        using var temp = new TempDir();
        var (_, saved, _) = SaveFixture("hf-tiny-random-gpt2", temp);

        Assert.Equal(98, saved["bos_token_id"]?.GetValue<int>());
        Assert.Equal(98, saved["pad_token_id"]?.GetValue<int>());
        Assert.Equal(0.02, saved["initializer_range"]?.GetValue<double>());
        Assert.Equal("hf-internal-testing/tiny-random-gpt2", saved["_name_or_path"]?.GetValue<string>());
        Assert.True(saved.ContainsKey("summary_activation") && saved["summary_activation"] is null, "a null field must stay null, not vanish");
        Assert.Equal(128, saved["n_inner"]?.GetValue<int>());
    }

    [SharedFact]
    public void Saving_in_another_dtype_rewrites_both_dtype_fields()
    {
        // transformers ≥ 4.56 writes "dtype" (and still reads "torch_dtype"): a stale one would contradict the weights.
        using var temp = new TempDir();
        string source = RawSafeTensors.CopyDirectory(SharedData.Fixture("llama-tiny-tied-bf16"), temp["source"]);
        var config = ReadJson(Path.Combine(source, HfCheckpoint.ConfigFile));
        config["dtype"] = "bfloat16";
        config["torch_dtype"] = "bfloat16";
        File.WriteAllText(Path.Combine(source, HfCheckpoint.ConfigFile), config.ToJsonString());

        var loaded = HfCheckpoint.Load(source);
        Assert.Equal(ScalarType.BFloat16, loaded.StoredDtype);
        HfCheckpoint.Save(loaded.Model, temp["f32"], ScalarType.Float32);
        var saved = ReadJson(Path.Combine(temp["f32"], HfCheckpoint.ConfigFile));

        Assert.Equal("float32", saved["torch_dtype"]?.GetValue<string>());
        Assert.Equal("float32", saved["dtype"]?.GetValue<string>());
    }

    [SharedFact]
    public void Saving_in_another_dtype_converts_every_tensor()
    {
        using var temp = new TempDir();
        var bf16 = HfCheckpoint.Load(SharedData.Fixture("llama-tiny-tied-bf16"));
        HfCheckpoint.Save(bf16.Model, temp["f32"], ScalarType.Float32);
        var widened = HfCheckpoint.Load(temp["f32"]);
        Assert.Equal(ScalarType.Float32, widened.StoredDtype);
        ModelAssert.BitIdentical(bf16.Model, widened.Model);  // bf16 → f32 is exact

        var f32 = HfCheckpoint.Load(SharedData.Fixture("gpt2-tiny"));
        HfCheckpoint.Save(f32.Model, temp["f16"], ScalarType.Float16);
        using var file = SafeTensorsFile.Open(Path.Combine(temp["f16"], HfCheckpoint.SingleFile));
        Assert.All(file.Entries, e => Assert.Equal(ScalarType.Float16, e.Dtype));
        var narrowed = HfCheckpoint.Load(temp["f16"]);
        Assert.Equal(ScalarType.Float16, narrowed.StoredDtype);
        using var expected = f32.Model.state_dict()["transformer.wte.weight"].to_type(ScalarType.Float16).to_type(ScalarType.Float32);
        Assert.True(ModelAssert.BitEqual(expected, narrowed.Model.state_dict()["transformer.wte.weight"]));
    }
}
