using System.Text.Json;
using Subclone.Checkpoints;
using Subclone.Checkpoints.Llama2c;
using Subclone.Inference;
using Subclone.Tests.Support;

namespace Subclone.Tests.Models;

/// <summary>The engine's LlamaModel, fed the imported stories260K, decodes greedily exactly as llama2.c's run.c did.</summary>
public class Stories260KGenerationTests
{
    [SharedTheory]
    [InlineData(0, 4)]   // "Once upon a time": BOS + 4 prompt tokens
    [InlineData(1, 8)]   // "Tom had a red ball": BOS + 8 prompt tokens
    public void Greedy_decoding_reproduces_run_c(int caseIndex, int promptTokens)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(SharedData.Data("stories260K/greedy_reference.json")));
        var reference = doc.RootElement.GetProperty("cases")[caseIndex].GetProperty("ids").EnumerateArray().Select(e => e.GetInt32()).ToList();
        var model = Llama2cConfig.Load(SharedData.Data("stories260K/stories260K.bin"));

        var prompt = reference.Take(1 + promptTokens).ToList();
        var output = TextGenerator.Generate(model, prompt, reference.Count - prompt.Count, new SamplingOptions(Greedy: true));

        Assert.Equal(reference, output);
    }

    [SharedFact]
    public void Imported_stories260K_saves_as_an_HF_Llama_directory_that_loads_back()
    {
        using var dir = new TempDir();
        var model = Llama2cConfig.Load(SharedData.Data("stories260K/stories260K.bin"));
        HfCheckpoint.Save(model, dir["stories"], TorchSharp.torch.ScalarType.Float32);
        var loaded = HfCheckpoint.Load(dir["stories"]);
        Assert.Equal((64, 5, 8, 4, 172, 512), (loaded.Model.Config.Hidden, loaded.Model.Config.Layers, loaded.Model.Config.Heads,
            loaded.Model.Config.KvHeads, loaded.Model.Config.Ffn, loaded.Model.Config.Vocab));
        Assert.True(loaded.Model.Config.TieWordEmbeddings);
    }
}
