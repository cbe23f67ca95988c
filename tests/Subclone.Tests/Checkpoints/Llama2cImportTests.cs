using Subclone.Tests.Support;
using System.Text;
using System.Text.Json;
using Subclone.Checkpoints.Llama2c;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

public sealed class Llama2cImportTests(ITestOutputHelper output) : IDisposable
{
    readonly string temp = Directory.CreateTempSubdirectory("subclone-llama2c-").FullName;

    public void Dispose() => Directory.Delete(temp, recursive: true);

    string WriteSmall(bool shared)
    {
        string path = Path.Combine(temp, shared ? "small-shared.bin" : "small-unshared.bin");
        File.WriteAllBytes(path, Llama2cTestFiles.Bytes(Llama2cTestFiles.Small(shared)));
        return path;
    }

    // Embedding and classifier of 1.28M floats each: more than one of the importer's 1M-float reads.
    string WriteLargeVocab()
    {
        string path = Path.Combine(temp, "large-vocab.bin");
        File.WriteAllBytes(path, Llama2cTestFiles.Bytes(Llama2cTestFiles.Small(shared: false) with { Dim = 64, Vocab = -20_000 }));
        return path;
    }

    [SharedFact]
    public void Reads_the_stories260K_shape()
    {
        using var model = Llama2cImporter.Import(Stories260K.Checkpoint);

        Assert.Equal(new Llama2cShape(Hidden: 64, Layers: 5, Heads: 8, KvHeads: 4, Ffn: 172, Vocab: 512,
            MaxPositions: 512, TieWordEmbeddings: true, RmsNormEps: 1e-5, RopeTheta: 10000), model.Shape);
        Assert.Equal(2 + 9 * 5, model.Tensors.Count);
        Assert.False(model.Tensors.ContainsKey("lm_head.weight"));
        Assert.Equal([512L, 64], model.Tensors["model.embed_tokens.weight"].shape);
        Assert.Equal([64L, 64], model.Tensors["model.layers.4.self_attn.q_proj.weight"].shape);
        Assert.Equal([32L, 64], model.Tensors["model.layers.4.self_attn.k_proj.weight"].shape);
        Assert.Equal([172L, 64], model.Tensors["model.layers.4.mlp.gate_proj.weight"].shape);
        Assert.Equal([64L, 172], model.Tensors["model.layers.4.mlp.down_proj.weight"].shape);
        Assert.All(model.Tensors.Values, t => Assert.Equal(ScalarType.Float32, t.dtype));
    }

    [SharedTheory]
    [InlineData("shared")]
    [InlineData("unshared")]
    [InlineData("spanning read chunks")]
    public void Maps_every_run_c_weight_to_its_HF_name_and_permutes_q_and_k_rows(string variant)
    {
        bool shared = variant == "shared";
        string path = variant == "spanning read chunks" ? WriteLargeVocab() : WriteSmall(shared);
        var raw = ReferenceLlama2c.Load(path);
        using var model = Llama2cImporter.Import(path);
        var s = model.Shape;

        Assert.Equal(shared, s.TieWordEmbeddings);
        Assert.Equal(shared ? 2 + 9 * s.Layers : 3 + 9 * s.Layers, model.Tensors.Count);
        AssertSame(raw.Raw("token_embedding_table"), model.Tensors["model.embed_tokens.weight"]);
        AssertSame(raw.Raw("rms_final_weight"), model.Tensors["model.norm.weight"]);
        if (shared) Assert.False(model.Tensors.ContainsKey("lm_head.weight"));
        else AssertSame(raw.Raw("wcls"), model.Tensors["lm_head.weight"]);

        for (int l = 0; l < s.Layers; l++)
        {
            string p = $"model.layers.{l}.";
            AssertSame(raw.Raw("rms_att_weight", l), model.Tensors[p + "input_layernorm.weight"]);
            AssertSame(raw.Raw("rms_ffn_weight", l), model.Tensors[p + "post_attention_layernorm.weight"]);
            AssertSame(raw.Raw("wv", l), model.Tensors[p + "self_attn.v_proj.weight"]);
            AssertSame(raw.Raw("wo", l), model.Tensors[p + "self_attn.o_proj.weight"]);
            AssertSame(raw.Raw("w1", l), model.Tensors[p + "mlp.gate_proj.weight"]);
            AssertSame(raw.Raw("w2", l), model.Tensors[p + "mlp.down_proj.weight"]);
            AssertSame(raw.Raw("w3", l), model.Tensors[p + "mlp.up_proj.weight"]);
            AssertSame(InterleavedToHalves(raw.Raw("wq", l), s.Heads, s.HeadDim, s.Hidden), model.Tensors[p + "self_attn.q_proj.weight"]);
            AssertSame(InterleavedToHalves(raw.Raw("wk", l), s.KvHeads, s.HeadDim, s.Hidden), model.Tensors[p + "self_attn.k_proj.weight"]);
        }
    }

    /// <summary>Row h*hd + half*hd/2 + j of the HF weight is row h*hd + 2j + half of the interleaved one,
    /// written out by index rather than with the view/transpose the importer uses.</summary>
    static float[] InterleavedToHalves(float[] w, int heads, int headDim, int cols)
    {
        var result = new float[w.Length];
        for (int h = 0; h < heads; h++)
            for (int half = 0; half < 2; half++)
                for (int j = 0; j < headDim / 2; j++)
                    Array.Copy(w, (h * headDim + 2 * j + half) * cols, result, (h * headDim + half * headDim / 2 + j) * cols, cols);
        return result;
    }

    static void AssertSame(float[] expected, Tensor actual)
    {
        Assert.True(actual.is_contiguous());
        Assert.Equal(expected, actual.data<float>().ToArray());
    }

    public static TheoryData<string> ForwardCases => ["stories260K", "small-unshared"];

    [SharedTheory]
    [MemberData(nameof(ForwardCases))]
    public void HF_forward_on_imported_weights_matches_run_c_forward_on_the_file(string which)
    {
        string path = which == "stories260K" ? Stories260K.Checkpoint : WriteSmall(shared: false);
        long[] ids = which == "stories260K"
            ? GreedyCases()[0].Ids.Take(12).ToArray()
            : [1, 5, 7, 3, 19, 0, 2, 11];
        using var model = Llama2cImporter.Import(path);
        var s = model.Shape;

        var runC = ReferenceLlama2c.Load(path);
        var expected = ids.Select((id, pos) => runC.Forward((int)id, pos)).ToArray();
        double diff = MaxDiff(expected, HfForward(model.Tensors, s).Logits(ids));
        output.WriteLine($"{which}: max |logit diff| over {ids.Length} positions = {diff:E2}");
        Assert.True(diff < 1e-4, $"max logit diff {diff}");

        // The check must be able to fail: the same forward on un-permuted q/k weights disagrees once RoPE rotates.
        var unpermuted = new Dictionary<string, Tensor>(model.Tensors);
        using var scope = NewDisposeScope();
        for (int l = 0; l < s.Layers; l++)
        {
            unpermuted[$"model.layers.{l}.self_attn.q_proj.weight"] = torch.tensor(runC.Raw("wq", l), [s.Hidden, s.Hidden]);
            unpermuted[$"model.layers.{l}.self_attn.k_proj.weight"] = torch.tensor(runC.Raw("wk", l), [s.KvDim, s.Hidden]);
        }
        double wrong = MaxDiff(expected, HfForward(unpermuted, s).Logits(ids));
        output.WriteLine($"{which}: without the q/k permutation = {wrong:E2}");
        Assert.True(wrong > 1e-2, $"un-permuted diff only {wrong}");
    }

    static ReferenceLlama HfForward(IReadOnlyDictionary<string, Tensor> tensors, Llama2cShape s) =>
        new(tensors, s.Layers, s.Heads, s.KvHeads, s.RmsNormEps, s.RopeTheta);

    static double MaxDiff(float[][] expected, Tensor logits)
    {
        using var actual = logits;
        var rows = actual.data<float>().ToArray();
        int vocab = expected[0].Length;
        Assert.Equal(expected.Length * vocab, rows.Length);
        double max = 0;
        for (int i = 0; i < rows.Length; i++) max = Math.Max(max, Math.Abs(rows[i] - expected[i / vocab][i % vocab]));
        return max;
    }

    public static TheoryData<int> GreedyCaseIndexes => [0, 1];

    [SharedTheory]
    [MemberData(nameof(GreedyCaseIndexes))]
    public void Greedy_decoding_from_the_imported_weights_reproduces_run_c(int index)
    {
        var reference = GreedyCases()[index];
        int promptTokens = PromptTokenCount(reference);
        using var model = Llama2cImporter.Import(Stories260K.Checkpoint);
        var forward = HfForward(model.Tensors, model.Shape);

        // ids[0] is BOS; generation starts after the prompt's tokens.
        var ids = reference.Ids.Take(1 + promptTokens).ToList();
        int matched = 0;
        while (ids.Count < reference.Ids.Length)
        {
            using var logits = forward.Logits(ids);
            using var last = logits[^1];
            long next = last.argmax().item<long>();
            if (next != reference.Ids[ids.Count]) break;
            ids.Add(next);
            matched++;
        }

        int generated = reference.Ids.Length - 1 - promptTokens;
        output.WriteLine($"\"{reference.Prompt}\": {promptTokens} prompt tokens, {matched} of {generated} generated tokens match run.c");
        Assert.True(matched >= Math.Min(40, generated), $"only the first {matched} of {generated} generated tokens match");
    }

    sealed record GreedyCase(string Prompt, long[] Ids);

    static GreedyCase[] GreedyCases()
    {
        using var json = JsonDocument.Parse(File.ReadAllText(Stories260K.GreedyReference));
        return json.RootElement.GetProperty("cases").EnumerateArray()
            .Select(c => new GreedyCase(c.GetProperty("prompt").GetString()!,
                c.GetProperty("ids").EnumerateArray().Select(e => e.GetInt64()).ToArray()))
            .ToArray();
    }

    /// <summary>The recorded ids hold the prompt's tokens then generated ones with no marker between; the
    /// prompt ends where the tokens' bytes first spell run.c's " " + prompt (its dummy-prefix space).</summary>
    static int PromptTokenCount(GreedyCase reference)
    {
        var pieces = Llama2cTokenPieces.Read(Stories260K.Tokenizer);
        string target = " " + reference.Prompt;
        var text = new List<byte>();
        for (int k = 1; k < reference.Ids.Length; k++)
        {
            text.AddRange(pieces[reference.Ids[k]]);
            if (Encoding.UTF8.GetString(text.ToArray()) == target) return k;
        }
        throw new InvalidOperationException($"ids never spell \"{target}\"");
    }

    public static TheoryData<string> MalformedCases =>
    [
        "shorter than header", "truncated", "trailing bytes", "negative dim", "zero layers", "vocab int.MinValue",
        "heads not dividing dim", "kv heads not dividing heads", "odd head size", "unshared flag on shared-size file",
        "sizes overflowing long", "versioned export",
    ];

    [SharedTheory]
    [MemberData(nameof(MalformedCases))]
    public void Rejects_a_malformed_file_naming_it(string problem)
    {
        var good = Llama2cTestFiles.Small(shared: true);
        byte[] valid = Llama2cTestFiles.Bytes(good);
        byte[] bytes = problem switch
        {
            "shorter than header" => valid[..20],
            "truncated" => valid[..^4],
            "trailing bytes" => [.. valid, 0, 0, 0, 0],
            "negative dim" => Llama2cTestFiles.Bytes(good with { Dim = -16 }, good.FloatCount()),
            "zero layers" => Llama2cTestFiles.Bytes(good with { Layers = 0 }, good.FloatCount()),
            "vocab int.MinValue" => Llama2cTestFiles.Bytes(good with { Vocab = int.MinValue }, good.FloatCount()),
            "heads not dividing dim" => Llama2cTestFiles.Bytes(good with { Heads = 3, KvHeads = 1 }, good.FloatCount()),
            "kv heads not dividing heads" => Llama2cTestFiles.Bytes(good with { KvHeads = 3 }, good.FloatCount()),
            "odd head size" => Llama2cTestFiles.Bytes(good with { Dim = 12, Heads = 4, KvHeads = 4 }, (good with { Dim = 12 }).FloatCount()),
            "unshared flag on shared-size file" => Llama2cTestFiles.Bytes(good with { Vocab = -good.Vocab }, good.FloatCount()),
            "sizes overflowing long" => Llama2cTestFiles.Bytes(new(1 << 30, int.MaxValue, int.MaxValue, 1, 1, int.MaxValue, int.MaxValue), floatCount: 16),
            "versioned export" => Llama2cTestFiles.Bytes(new(0x616b3432, 1, 16, 24, 2, 4, 2), floatCount: 16),
            _ => throw new ArgumentException(problem),
        };
        string path = Path.Combine(temp, "bad model.bin");
        File.WriteAllBytes(path, bytes);

        var error = Assert.Throws<InvalidDataException>(() => Llama2cImporter.Import(path));
        output.WriteLine(error.Message);
        Assert.StartsWith(path + ": ", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }
}
