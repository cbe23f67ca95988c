using Subclone.Checkpoints;
using Subclone.Models;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Streaming;

/// <summary>CheckpointReader: checks a checkpoint from its headers alone and reads single tensors or single blocks.</summary>
public class StreamingReaderTests
{
    [Fact]
    public void Opening_checks_the_headers_without_reading_weights()
    {
        using var dir = new TempDir();
        var model = TinyModels.Llama();
        HfCheckpoint.Save(model, dir["m"], ScalarType.BFloat16, maxShardBytes: 2048);
        var read = new List<string>();
        using var reader = CheckpointReader.Open(dir["m"]);
        reader.TensorRead += read.Add;

        Assert.Empty(read);
        Assert.Equal(ScalarType.BFloat16, reader.StoredDtype);
        Assert.Equal(model.state_dict().Keys, reader.Parameters.Select(p => p.Name));
        Assert.Equal(Directory.GetFiles(dir["m"], "*.safetensors").Sum(f => new FileInfo(f).Length - 8 - RawSafeTensors.ReadHeader(f).Length), reader.WeightBytes);

        using var head = reader.ReadFloat32("lm_head.weight");
        Assert.Equal(["lm_head.weight"], read);
        Assert.True(ModelAssert.BitEqual(model.state_dict()["lm_head.weight"].to_type(ScalarType.BFloat16).to_type(ScalarType.Float32), head));
    }

    [Fact]
    public void A_single_block_loads_from_its_prefix_and_reads_only_its_own_tensors()
    {
        using var dir = new TempDir();
        var model = (LlamaModel)TinyModels.Llama();
        HfCheckpoint.Save(model, dir["m"], ScalarType.Float32);
        using var reader = CheckpointReader.Open(dir["m"]);
        var read = new List<string>();
        reader.TensorRead += read.Add;

        using var block = new LlamaBlock(model.Config, 1);
        reader.Load(block, "model.layers.1.");

        Assert.All(read, name => Assert.StartsWith("model.layers.1.", name));
        Assert.Equal(block.state_dict().Count, read.Count);
        foreach (var (key, p) in block.state_dict())
            Assert.True(ModelAssert.BitEqual(model.model.layers[1].state_dict()[key], p), key);
    }

    [Fact]
    public void A_misshapen_tensor_fails_at_open()
    {
        using var dir = new TempDir();
        var model = TinyModels.Gpt2();
        HfCheckpoint.Save(model, dir["m"], ScalarType.Float32);
        var tensors = model.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value);
        tensors["transformer.h.0.mlp.c_fc.bias"] = zeros(63);
        SafeTensorsFile.Write(Path.Combine(dir["m"], HfCheckpoint.SingleFile), tensors);

        var e = Assert.Throws<CheckpointException>(() => CheckpointReader.Open(dir["m"]));
        Assert.Contains("'transformer.h.0.mlp.c_fc.bias' has shape [63] but config.json implies [64]", e.Message);
    }
}
