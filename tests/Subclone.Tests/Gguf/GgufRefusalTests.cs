using System.Text.Json.Nodes;
using Subclone.Tests.Cli;
using Subclone.Tests.Support;

namespace Subclone.Tests.Gguf;

/// <summary>Exports that cannot be done are refused with exit code 2, one line naming the problem, and nothing written.</summary>
public class GgufRefusalTests
{
    static void Refused(TempDir dir, string needle, params string[] args)
    {
        var result = CliRunner.Run(["export", .. args]);
        Assert.True(result.ExitCode == 2, $"exit {result.ExitCode}: {result.Error}");
        Assert.Contains(needle, result.Error);
        Assert.Single(result.Error.Trim().Split('\n'));
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [Fact]
    public void An_encoder_has_no_gguf_architecture()
    {
        using var dir = new TempDir();
        Refused(dir, "no llama.cpp architecture", "minilm", "--gguf", dir["bert.gguf"]);
    }

    [SharedFact]
    public void An_image_classifier_has_no_gguf_architecture()
    {
        using var dir = new TempDir();
        Refused(dir, "no llama.cpp architecture", SharedData.Fixture("vit-tiny"), "--gguf", dir["vit.gguf"]);
    }

    [SharedTheory]
    [InlineData("q4_k", "--gguf")]
    [InlineData("int8", "--gguf")]
    [InlineData("q8_0", "--out")]
    public void Unknown_dtype_is_refused(string dtype, string target)
    {
        using var dir = new TempDir();
        Refused(dir, "--dtype", SharedData.Fixture("gpt2-tiny"), target, dir["out"], "--dtype", dtype);
    }

    [SharedFact]
    public void Exactly_one_target_is_required()
    {
        using var dir = new TempDir();
        Refused(dir, "exactly one", SharedData.Fixture("gpt2-tiny"));
        Refused(dir, "exactly one", SharedData.Fixture("gpt2-tiny"), "--gguf", dir["a.gguf"], "--out", dir["b"]);
    }

    /// <summary>A config whose forward llama.cpp's graph would compute differently: fields patched into a fixture's config.</summary>
    [SharedTheory]
    [InlineData("gpt2-tiny", "{\"activation_function\":\"gelu\"}", "activation_function")]
    [InlineData("gpt2-tiny", "{\"scale_attn_by_inverse_layer_idx\":true}", "scale_attn_by_inverse_layer_idx")]
    [InlineData("llama-tiny-gqa", "{\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":2.0,\"attention_factor\":1.5}}", "attention_factor")]
    [InlineData("llama-tiny-gqa", "{\"rope_scaling\":{\"rope_type\":\"longrope\",\"short_factor\":[1,1,1,1,1,1,1,1],\"long_factor\":[2,2,2,2,2,2,2,2],\"original_max_position_embeddings\":16}}", "rope_scaling")]
    [InlineData("llama-tiny-gqa", "{\"model_type\":\"mistral\",\"sliding_window\":8}", "sliding_window")]
    [InlineData("gptneox-tiny", "{}", "hidden_act")]
    [InlineData("qwen3moe-tiny", "{}", "mlp_only_layers")]
    [InlineData("qwen3moe-tiny", "{\"norm_topk_prob\":false}", "norm_topk_prob")]
    [InlineData("olmoe-tiny", "{\"norm_topk_prob\":true}", "norm_topk_prob")]
    [InlineData("gemma2-tiny", "{\"attn_logit_softcapping\":null}", "attn_logit_softcapping")]
    [InlineData("gemma2-tiny", "{\"layer_types\":[\"full_attention\",\"sliding_attention\",\"full_attention\"]}", "layer_types")]
    [InlineData("gemma3-tiny", "{\"layer_types\":[\"full_attention\",\"sliding_attention\",\"sliding_attention\",\"full_attention\"]}", "layer_types")]
    [InlineData("gemma3-tiny", "{\"rope_local_base_freq\":20000.0}", "rope_local_base_freq")]
    [InlineData("gemma3-tiny", "{\"final_logit_softcapping\":30.0}", "final_logit_softcapping")]
    public void Unsupported_config_is_refused(string fixture, string patch, string needle)
    {
        using var models = new TempDir();
        string model = models["m"];
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(SharedData.Fixture(fixture))) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var config = JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        foreach (var (key, value) in JsonNode.Parse(patch)!.AsObject()) config[key] = value?.DeepClone();
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        using var dir = new TempDir();
        Refused(dir, needle, model, "--gguf", dir["m.gguf"]);
    }

    [SharedFact]
    public void Malformed_tokenizer_model_is_refused()
    {
        using var models = new TempDir();
        string model = models["m"];
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(SharedData.Fixture("llama-tiny-gqa"))) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        File.WriteAllBytes(Path.Combine(model, "tokenizer.model"), [0x0a, 0xff, 0xff, 0x7f, 0x01]);
        using var dir = new TempDir();
        var result = CliRunner.Run("export", model, "--gguf", dir["m.gguf"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Contains("tokenizer.model", result.Error);
        Assert.Empty(Directory.EnumerateFileSystemEntries(dir.Path));
    }

    [SharedFact]
    public void An_existing_file_is_kept_without_force()
    {
        using var dir = new TempDir();
        File.WriteAllText(dir["m.gguf"], "keep");
        var result = CliRunner.Run("export", SharedData.Fixture("gpt2-tiny"), "--gguf", dir["m.gguf"]);
        Assert.Equal(2, result.ExitCode);
        Assert.Equal("keep", File.ReadAllText(dir["m.gguf"]));
        Assert.Equal(0, CliRunner.Run("export", SharedData.Fixture("gpt2-tiny"), "--gguf", dir["m.gguf"], "--force").ExitCode);
        Assert.Equal("GGUF"u8.ToArray(), File.ReadAllBytes(dir["m.gguf"])[..4]);
        Assert.Single(Directory.GetFiles(dir.Path));
    }
}
