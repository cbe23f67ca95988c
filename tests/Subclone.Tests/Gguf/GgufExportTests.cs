using Subclone.Checkpoints;
using Subclone.Gguf;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;
using Subclone.Reference;

namespace Subclone.Tests.Gguf;

/// <summary>Exported GGUF files run in llama.cpp with Subclone's logits and greedy tokens.</summary>
public class GgufExportTests(ITestOutputHelper output)
{
    const double F32Tolerance = 1e-3;

    static float[][] SubcloneLogits(TransformerModel model, IReadOnlyList<int> ids)
    {
        using var _ = no_grad();
        using var input = tensor(ids.Select(i => (long)i).ToArray()).unsqueeze(0);
        using var logits = model.Forward(input).squeeze(0).to(ScalarType.Float32).contiguous();
        var flat = logits.data<float>().ToArray();
        int vocab = (int)logits.shape[1];
        return Enumerable.Range(0, ids.Count).Select(t => flat[(t * vocab)..((t + 1) * vocab)]).ToArray();
    }

    static List<int> SubcloneGreedy(TransformerModel model, IReadOnlyList<int> prompt, int steps)
    {
        var ids = prompt.ToList();
        var generated = new List<int>();
        for (int s = 0; s < steps; s++)
        {
            var last = SubcloneLogits(model, ids)[^1];
            int next = Array.IndexOf(last, last.Max());
            generated.Add(next); ids.Add(next);
        }
        return generated;
    }

    static double MaxDiff(float[][] a, float[][] b) =>
        a.Zip(b).Max(p => { Assert.Equal(p.First.Length, p.Second.Length); return p.First.Zip(p.Second).Max(q => Math.Abs((double)q.First - q.Second)); });

    /// <summary>Exports <paramref name="modelDir"/> as <paramref name="dtype"/>, runs it in llama.cpp, returns the max logit difference.</summary>
    /// <param name="prompt">Greedy prompt length (the first ids).</param>
    /// <param name="steps">Greedy steps.</param>
    /// <param name="context">llama.cpp's context size.</param>
    double ExportAndCompare(string modelDir, IReadOnlyList<int> ids, string dtype, bool greedy, int prompt = 8, int steps = 12, uint context = 256)
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("export", modelDir, "--gguf", dir["model.gguf"], "--dtype", dtype);
        Assert.True(result.ExitCode == 0, result.Error);
        var model = HfCheckpoint.Load(modelDir).Model;
        using var llama = new LlamaCpp(dir["model.gguf"], context);
        Assert.Equal(model.Config.Vocab, llama.VocabCount);
        double diff = MaxDiff(SubcloneLogits(model, ids), llama.Logits(ids));
        output.WriteLine($"{Path.GetFileName(modelDir)} {dtype}: max |logit difference| {diff:E2}");
        if (greedy)
        {
            var start = ids.Take(prompt).ToList();
            Assert.Equal(SubcloneGreedy(model, start, steps), llama.Greedy(start, steps));
        }
        return diff;
    }

    public static TheoryData<string> Fixtures => new() { "gpt2-tiny", "gpt2-tiny-prefixed", "hf-tiny-random-gpt2", "llama-tiny-gqa", "llama-tiny-tied-bf16",
        "qwen3-tiny", "olmo2-tiny", "llama3-tiny-rope-scaling", "phi3-tiny", "phi3-tiny-partial-rotary",
        "mixtral-tiny", "mixtral-tiny-fused", "olmoe-tiny" };

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void F32_export_matches_in_llama_cpp(string fixture)
    {
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        double diff = ExportAndCompare(SharedData.Fixture(fixture), ids, "f32", greedy: true);
        Assert.True(diff < F32Tolerance, $"{fixture}: max abs logit difference {diff}");
    }

    /// <summary>
    /// Rotary scaling: YaRN as llama.cpp's YaRN (qwen2-tiny-yarn, 40 positions over an original 16); dynamic NTK as
    /// default RoPE, exact within max_position_embeddings (16: compared on the first 16 ids); LongRoPE with both factor
    /// lists, compared where llama.cpp's choice by context size is HF's by sequence length: 40 ids in a 256 context
    /// (long factors; greedy from a 20-token prompt), and, with original_max_position_embeddings patched to 256 (llama.cpp
    /// pads its context to a multiple of 256, so the fixture's 16 never selects the short factors there), 40 ids in a
    /// 256 context (short factors).
    /// </summary>
    [SharedTheory]
    [InlineData("qwen2-tiny-yarn", "{}", 40, 8)]
    [InlineData("llama-tiny-dynamic-rope", "{}", 16, 8)]
    [InlineData("phi3-tiny-longrope", "{}", 40, 20)]
    [InlineData("phi3-tiny-longrope", "{\"original_max_position_embeddings\":256,\"max_position_embeddings\":2048}", 40, 8)]
    public void Scaled_rope_matches_where_llama_cpp_computes_it_as_hf(string fixture, string patch, int length, int prompt)
    {
        using var dir = new TempDir();
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).Take(length).ToList();
        double diff = ExportAndCompare(Patched(dir, fixture, patch), ids, "f32", greedy: true, prompt, steps: length - prompt);
        Assert.True(diff < F32Tolerance, $"{fixture} {patch} over {length}: {diff}");
    }

    /// <summary>A copy of <paramref name="fixture"/> with the top-level config fields of <paramref name="patch"/> replaced.</summary>
    static string Patched(TempDir dir, string fixture, string patch)
    {
        string model = dir["patched"];
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(SharedData.Fixture(fixture))) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        foreach (var (key, value) in System.Text.Json.Nodes.JsonNode.Parse(patch)!.AsObject()) config[key] = value?.DeepClone();
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        return model;
    }

    /// <summary>A child of <paramref name="fixture"/> made by the clone command (random calibration ids: the fixtures have no text).</summary>
    static string Child(TempDir dir, string parent, params string[] shape)
    {
        var result = CliRunner.Run(["clone", parent, "--out", dir["child"], .. shape, "--seed", "3"]);
        Assert.True(result.ExitCode == 0, result.Error);
        return dir["child"];
    }

    [SharedTheory]
    [InlineData("gpt2-tiny", new[] { "--hidden", "32", "--heads", "2", "--layers", "2", "--ffn", "128", "--calib-random-ids", "6x16" })]
    [InlineData("llama-tiny-gqa", new[] { "--ratio", "0.5", "--layers", "2", "--calib-random-ids", "6x16" })]
    [InlineData("mixtral-tiny", new[] { "--ratio", "0.5", "--experts", "3", "--calib-random-ids", "6x16" })]
    [InlineData("olmoe-tiny", new[] { "--ratio", "0.5", "--experts", "4", "--calib-random-ids", "6x16" })]
    public void Subcloned_child_runs_in_llama_cpp(string fixture, string[] shape)
    {
        using var dir = new TempDir();
        string child = Child(dir, SharedData.Fixture(fixture), shape);
        Assert.True(HfCheckpoint.Load(child).Model.Config.Hidden < HfCheckpoint.Load(SharedData.Fixture(fixture)).Model.Config.Hidden);
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        double diff = ExportAndCompare(child, ids, "f32", greedy: true);
        Assert.True(diff < F32Tolerance, $"{fixture} child: max abs logit difference {diff}");
    }

    /// <summary>stories260K imported from llama2.c: a real SentencePiece vocabulary, so llama.cpp tokenizes text itself.</summary>
    [SharedFact]
    public void Stories260K_and_its_child_tokenize_and_generate_as_in_subclone()
    {
        using var dir = new TempDir();
        var imported = CliRunner.Run("import", SharedData.Data("stories260K/stories260K.bin"), "--out", dir["stories"]);
        Assert.True(imported.ExitCode == 0, imported.Error);
        string child = Child(dir, dir["stories"], "--ratio", "0.75", "--layers", "4", "--calib-random-ids", "6x16");
        foreach (string model in new[] { dir["stories"], child })
        {
            var source = ModelSource.Load(model);
            Assert.True(CliRunner.Run("export", model, "--gguf", dir["m.gguf"], "--force").ExitCode == 0);
            using var llama = new LlamaCpp(dir["m.gguf"]);
            Assert.True(llama.Weights.Vocab.ShouldAddBOS);
            Assert.Equal(1, (int)llama.Weights.Vocab.BOS!.Value);
            foreach (string text in new[] { "Once upon a time, there was a little girl named Lily.", "Tom had a red ball", "She said: \"Hi!\"\n\tBye 123" })
                Assert.Equal([1, .. source.Tokenizer!.Encode(text)], llama.Tokenize(text, addBos: true));
            var ids = new[] { 1 }.Concat(source.Tokenizer!.Encode("Once upon a time, there was a little girl")).ToList();
            double diff = MaxDiff(SubcloneLogits(source.Model, ids), llama.Logits(ids));
            output.WriteLine($"{Path.GetFileName(model)}: max |logit difference| {diff:E2}");
            Assert.True(diff < F32Tolerance, $"{model}: {diff}");
            Assert.Equal(SubcloneGreedy(source.Model, ids, 16), llama.Greedy(ids, 16));
        }
    }

    [SharedFact]
    public void Gpt2_bpe_vocabulary_tokenizes_as_subclone()
    {
        using var dir = new TempDir();
        string fixture = SharedData.Fixture("hf-tiny-random-gpt2");
        Assert.Equal(0, CliRunner.Run("export", fixture, "--gguf", dir["m.gguf"]).ExitCode);
        var tokenizer = ModelSource.Load(fixture).Tokenizer!;
        using var llama = new LlamaCpp(dir["m.gguf"]);
        foreach (string text in new[] { "Hello world, this is a test.", "It's 2024: don't   stop\nnow!", " leading space and café" })
            Assert.Equal(tokenizer.Encode(text), llama.Tokenize(text, addBos: false));
    }

    /// <summary>Qwen2 (q/k/v biases, NeoX rotation) and Llama with every bias (permuted q/k biases), from random configs.</summary>
    [Theory]
    [InlineData("qwen2", "")]
    [InlineData("llama", ",\"attention_bias\":true,\"mlp_bias\":true")]
    [InlineData("mistral", ",\"sliding_window\":null")]
    [InlineData("qwen3", ",\"head_dim\":8")]
    [InlineData("olmo2", "")]
    [InlineData("qwen3_moe", Qwen3MoeConfig)]
    [InlineData("llama", ",\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":3.0}")]
    public void Random_llama_family_models_match(string modelType, string extra)
    {
        using var dir = new TempDir();
        var ids = Enumerable.Range(0, 20).Select(i => i * 37 % 300).ToList();
        double diff = ExportAndCompare(RandomModel(dir, modelType, extra), ids, "f32", greedy: true);
        Assert.True(diff < F32Tolerance, $"{modelType}: {diff}");
    }

    /// <summary>A random Llama-family model (vocab 300) with large random weights, saved under <paramref name="dir"/>.</summary>
    static string RandomModel(TempDir dir, string modelType, string extra)
    {
        File.WriteAllText(dir["config.json"], $$"""
            {"model_type":"{{modelType}}","hidden_size":64,"num_attention_heads":4,"num_key_value_heads":2,"num_hidden_layers":2,
             "intermediate_size":96,"vocab_size":300,"max_position_embeddings":64,"rms_norm_eps":1e-6,"rope_theta":5000.0,
             "hidden_act":"silu","tie_word_embeddings":false{{extra}}}
            """);
        var model = TransformerModel.Create(ModelConfig.Load(dir["config.json"]));
        using (no_grad())
        {
            var generator = new Generator().manual_seed(7);
            // Large random weights (and biases, which HF's init leaves zero) so a wrong layout cannot hide.
            foreach (var (_, p) in model.named_parameters()) p.copy_(randn(p.shape, generator: generator) * 0.3);
        }
        HfCheckpoint.Save(model, dir["model"], ScalarType.Float32);
        return dir["model"];
    }

    const string Qwen3MoeConfig = ",\"head_dim\":8,\"num_experts\":4,\"num_experts_per_tok\":2,\"moe_intermediate_size\":24,\"norm_topk_prob\":true,\"mlp_only_layers\":[]";

    /// <summary>Qwen3-MoE (its fixture has a dense block between sparse ones, which llama.cpp's qwen3moe cannot hold):
    /// a child of a random all-sparse model, fewer experts and half width.</summary>
    [Fact]
    public void Qwen3_moe_child_runs_in_llama_cpp()
    {
        using var dir = new TempDir();
        string child = Child(dir, RandomModel(dir, "qwen3_moe", Qwen3MoeConfig), "--ratio", "0.5", "--experts", "3", "--calib-random-ids", "6x16");
        Assert.Equal(3, HfCheckpoint.Load(child).Model.Config.Moe!.Experts);
        var ids = Enumerable.Range(0, 20).Select(i => i * 37 % 300).ToList();
        double diff = ExportAndCompare(child, ids, "f32", greedy: true);
        Assert.True(diff < F32Tolerance, $"qwen3_moe child: {diff}");
    }

    [SharedTheory]
    [InlineData("llama-tiny-gqa", "f16")]
    [InlineData("llama-tiny-gqa", "bf16")]
    [InlineData("llama-tiny-gqa", "q8_0")]
    [InlineData("gpt2-tiny", "f16")]
    [InlineData("gpt2-tiny", "q8_0")]
    public void Reduced_precision_exports_stay_close(string fixture, string dtype)
    {
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        double diff = ExportAndCompare(SharedData.Fixture(fixture), ids, dtype, greedy: false);
        double bound = dtype switch { "f16" => 5e-3, "bf16" => 5e-2, _ => 5e-2 };
        Assert.True(diff < bound, $"{fixture} {dtype}: {diff}");
        Assert.True(diff > 0, "a reduced-precision file giving f32's exact logits was not stored reduced");
    }

    /// <summary>Saves <paramref name="model"/> with its MLP output projections (<paramref name="suffix"/>) zeroed, so
    /// ggml's float16 GELU table has nothing to move.</summary>
    static void WithoutMlpOutput(string model, string suffix, string outDir)
    {
        var loaded = HfCheckpoint.Load(model).Model;
        using (no_grad())
            foreach (var (name, p) in loaded.named_parameters())
                if (name.EndsWith(suffix)) p.zero_();
        HfCheckpoint.Save(loaded, outDir, ScalarType.Float32);
    }

    /// <summary>
    /// Gemma 2 and 3: every difference of llama.cpp's graphs from HF's (norms' 1 + w, the attention scale, soft-caps,
    /// per-layer sliding windows: the fixtures' window of 8 binds on their 40 positions) is folded into the export,
    /// and what is left is ggml's GELU, which rounds its input and output to float16 (about 3e-3 on these logits):
    /// greedy tokens agree, and with the MLP output zeroed the logits agree within 1e-3, as do a child's.
    /// </summary>
    [SharedTheory]
    [InlineData("gemma2-tiny")]
    [InlineData("gemma3-tiny")]
    public void Gemma_matches_up_to_ggmls_float16_gelu_and_its_child_too(string fixture)
    {
        using var dir = new TempDir();
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        double diff = ExportAndCompare(SharedData.Fixture(fixture), ids, "f32", greedy: true);
        Assert.True(diff < 1e-2, $"{fixture}: {diff}");
        WithoutMlpOutput(SharedData.Fixture(fixture), "mlp.down_proj.weight", dir["no-mlp"]);
        double exact = ExportAndCompare(dir["no-mlp"], ids, "f32", greedy: true);
        Assert.True(exact < F32Tolerance, $"{fixture} without MLP output: {exact}");
        string child = Child(dir, dir["no-mlp"], "--ratio", "0.5", "--calib-random-ids", "6x16");
        double childDiff = ExportAndCompare(child, ids, "f32", greedy: true);
        Assert.True(childDiff < F32Tolerance, $"{fixture} child: {childDiff}");
    }

    /// <summary>
    /// A Gemma 2 whose layer_types are not HF's even-layer default (what a child that drops blocks gets): the period is
    /// written as attention.sliding_window_pattern, which llama.cpp follows (with its default, 2, these logits are 3 off).
    /// </summary>
    [SharedFact]
    public void Gemma2_layer_types_of_another_period_match()
    {
        using var dir = new TempDir();
        string model = Patched(dir, "gemma2-tiny", "{\"layer_types\":[\"sliding_attention\",\"sliding_attention\",\"full_attention\"]}");
        var ids = FixtureLogitsTests.InputIds("gemma2-tiny").Select(i => (int)i).ToList();
        double diff = ExportAndCompare(model, ids, "f32", greedy: true);
        Assert.True(diff < 1e-2, $"gemma2 period 3: {diff}");
    }

    /// <summary>
    /// GPT-NeoX: llama.cpp's gptneox graph computes tanh-approximate GELU (through ggml's float16 lookup table), so a
    /// Pythia config (exact "gelu") is refused, and the fixture's weights are run as "gelu_new". The table still moves
    /// these logits (|logit| up to 12) by about 4e-3; with the MLP's output projection zeroed the rest of the mapping
    /// (regrouped query_key_value, parallel residual, partial NeoX rotation) matches within 1e-3.
    /// </summary>
    [SharedFact]
    public void Gpt_neox_with_tanh_gelu_matches_and_its_child_too()
    {
        using var dir = new TempDir();
        string model = dir["neox"];
        Directory.CreateDirectory(model);
        foreach (var file in Directory.GetFiles(SharedData.Fixture("gptneox-tiny"))) File.Copy(file, Path.Combine(model, Path.GetFileName(file)));
        var config = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(Path.Combine(model, "config.json")))!.AsObject();
        config["hidden_act"] = "gelu_new";
        File.WriteAllText(Path.Combine(model, "config.json"), config.ToJsonString());
        var ids = FixtureLogitsTests.InputIds("gptneox-tiny").Select(i => (int)i).ToList();
        double diff = ExportAndCompare(model, ids, "f32", greedy: true);
        Assert.True(diff < 1e-2, $"gptneox: {diff}");

        WithoutMlpOutput(model, "dense_4h_to_h.weight", dir["no-mlp"]);
        double exact = ExportAndCompare(dir["no-mlp"], ids, "f32", greedy: true);
        Assert.True(exact < F32Tolerance, $"gptneox without MLP output: {exact}");

        string child = Child(dir, dir["no-mlp"], "--hidden", "16", "--heads", "1", "--layers", "2", "--ffn", "64", "--calib-random-ids", "6x16");
        double childDiff = ExportAndCompare(child, ids, "f32", greedy: true);
        Assert.True(childDiff < F32Tolerance, $"gptneox child: {childDiff}");
    }
}
