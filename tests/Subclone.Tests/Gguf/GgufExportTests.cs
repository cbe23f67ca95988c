using Subclone.Checkpoints;
using Subclone.Gguf;
using Subclone.Models;
using Subclone.Tests.Cli;
using Subclone.Tests.Models;
using Subclone.Tests.Support;
using Xunit.Abstractions;
using static TorchSharp.torch;

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
    double ExportAndCompare(string modelDir, IReadOnlyList<int> ids, string dtype, bool greedy)
    {
        using var dir = new TempDir();
        var result = CliRunner.Run("export", modelDir, "--gguf", dir["model.gguf"], "--dtype", dtype);
        Assert.True(result.ExitCode == 0, result.Error);
        var model = HfCheckpoint.Load(modelDir).Model;
        using var llama = new LlamaCpp(dir["model.gguf"]);
        Assert.Equal(model.Config.Vocab, llama.VocabCount);
        double diff = MaxDiff(SubcloneLogits(model, ids), llama.Logits(ids));
        output.WriteLine($"{Path.GetFileName(modelDir)} {dtype}: max |logit difference| {diff:E2}");
        if (greedy)
        {
            var prompt = ids.Take(8).ToList();
            Assert.Equal(SubcloneGreedy(model, prompt, 12), llama.Greedy(prompt, 12));
        }
        return diff;
    }

    public static TheoryData<string> Fixtures => new() { "gpt2-tiny", "gpt2-tiny-prefixed", "hf-tiny-random-gpt2", "llama-tiny-gqa", "llama-tiny-tied-bf16" };

    [SharedTheory]
    [MemberData(nameof(Fixtures))]
    public void F32_export_matches_in_llama_cpp(string fixture)
    {
        var ids = FixtureLogitsTests.InputIds(fixture).Select(i => (int)i).ToList();
        double diff = ExportAndCompare(SharedData.Fixture(fixture), ids, "f32", greedy: true);
        Assert.True(diff < F32Tolerance, $"{fixture}: max abs logit difference {diff}");
    }
}
