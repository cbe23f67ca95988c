using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Checkpoints;

/// <summary>A well-formed safetensors file whose tensors do not fit config.json: the error names the file and the tensor.</summary>
public sealed class WeightMismatchTests : IDisposable
{
    readonly TempDir _temp = new();

    public void Dispose() => _temp.Dispose();

    /// <summary>Saves <paramref name="model"/>, lets <paramref name="edit"/> change its tensors, rewrites model.safetensors,
    /// and returns the error loading it.</summary>
    CheckpointException LoadEdited(TransformerModel model, Action<Dictionary<string, Tensor>> edit, out string weights)
    {
        string dir = _temp["model"];
        HfCheckpoint.Save(model, dir, ScalarType.Float32);
        weights = Path.Combine(dir, HfCheckpoint.SingleFile);
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafeTensorsFile.Open(weights))
            foreach (var name in file.Names) tensors[name] = file.ReadRaw(name);
        edit(tensors);
        SafeTensorsFile.Write(weights, tensors);
        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(dir));
        Assert.StartsWith(weights + ": ", e.Message);
        return e;
    }

    [Fact]
    public void The_unedited_model_loads_so_the_failures_below_are_the_edits()
    {
        var model = TinyModels.Gpt2();
        HfCheckpoint.Save(model, _temp["model"], ScalarType.Float32);
        ModelAssert.BitIdentical(model, HfCheckpoint.Load(_temp["model"]).Model);
    }

    [Fact]
    public void Wrong_shaped_tensor()
    {
        var e = LoadEdited(TinyModels.Gpt2(), t => t["transformer.h.1.attn.c_attn.weight"] = zeros(16, 47), out _);
        Assert.Contains("'transformer.h.1.attn.c_attn.weight' has shape [16, 47] but config.json implies [16, 48]", e.Message);
    }

    [Fact]
    public void Missing_tensor()
    {
        var e = LoadEdited(TinyModels.Gpt2(), t => t.Remove("transformer.ln_f.bias"), out _);
        Assert.EndsWith("is missing tensor 'transformer.ln_f.bias'", e.Message);
    }

    [Fact]
    public void Several_missing_tensors_are_counted()
    {
        var e = LoadEdited(TinyModels.Llama(), t => { t.Remove("lm_head.weight"); t.Remove("model.norm.weight"); }, out _);
        Assert.Matches(@": is missing tensor '(lm_head\.weight|model\.norm\.weight)' and 1 more$", e.Message);
    }

    [Fact]
    public void Unexpected_extra_tensor()
    {
        var e = LoadEdited(TinyModels.Gpt2(), t => t["transformer.h.2.ln_1.weight"] = ones(16), out _);
        Assert.Contains("tensor 'transformer.h.2.ln_1.weight' is not a parameter of GPT2LMHeadModel", e.Message);
    }

    [Fact]
    public void Head_of_the_wrong_vocab_in_an_untied_llama()
    {
        var e = LoadEdited(TinyModels.Llama(), t => t["lm_head.weight"] = zeros(31, 16), out _);
        Assert.Contains("'lm_head.weight' has shape [31, 16]", e.Message);
    }

    [Fact]
    public void Integer_weight()
    {
        var e = LoadEdited(TinyModels.Gpt2(), t => t["transformer.wpe.weight"] = zeros(8, 16, dtype: ScalarType.Int64), out _);
        Assert.Contains("tensor 'transformer.wpe.weight' has dtype I64", e.Message);
    }

    [Fact]
    public void Same_parameter_stored_with_and_without_the_transformer_prefix()
    {
        var e = LoadEdited(TinyModels.Gpt2(), t => t["wte.weight"] = t["transformer.wte.weight"].clone(), out _);
        Assert.Contains("is stored twice", e.Message);
        Assert.Contains("wte.weight", e.Message);
    }

    [Fact]
    public void Missing_tensor_of_a_sharded_model_is_reported_against_the_index()
    {
        string dir = _temp["sharded"];
        HfCheckpoint.Save(TinyModels.Gpt2(), dir, ScalarType.Float32, maxShardBytes: 4096);
        string shard = Directory.GetFiles(dir, "model-*.safetensors").Order(StringComparer.Ordinal).Last();
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafeTensorsFile.Open(shard))
            foreach (var name in file.Names) tensors[name] = file.ReadRaw(name);
        string removed = tensors.Keys.Order(StringComparer.Ordinal).First();
        tensors.Remove(removed);
        SafeTensorsFile.Write(shard, tensors);

        var e = Assert.Throws<CheckpointException>(() => HfCheckpoint.Load(dir));
        Assert.Equal($"{Path.Combine(dir, HfCheckpoint.IndexFile)}: is missing tensor '{removed}'", e.Message);
    }
}
