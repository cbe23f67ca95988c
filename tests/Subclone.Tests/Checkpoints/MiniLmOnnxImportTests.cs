using System.Text;
using Microsoft.ML.OnnxRuntime;
using Microsoft.ML.OnnxRuntime.Tensors;
using Subclone.Checkpoints;
using Subclone.Checkpoints.Onnx;
using TorchSharp;

namespace Subclone.Tests.Checkpoints;

public class MiniLmOnnxImportTests
{
    static readonly Lazy<byte[]> ModelBytes = new(() =>
    {
        using var stream = MiniLmResources.OpenModelOnnx();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    });

    static readonly Lazy<(Dictionary<string, torch.Tensor> Tensors, BertShape Shape)> Imported =
        new(() => MiniLmOnnxImporter.Import(new MemoryStream(ModelBytes.Value, writable: false)));

    // "[CLS] hello, world! [SEP]" padded, and the pair "[CLS] the quick brown fox jumps over the lazy dog.
    // [SEP] is it raining? [SEP]" with segment B as token type 1, so type embedding row 1 is exercised too.
    static readonly long[,] Ids =
    {
        { 101, 7592, 1010, 2088, 999, 102, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
        { 101, 1996, 4248, 2829, 4419, 14523, 2058, 1996, 13971, 3899, 1012, 102, 2003, 2009, 24057, 1029, 102 },
    };
    static readonly long[,] Mask =
    {
        { 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
        { 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1 },
    };
    static readonly long[,] Types =
    {
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 },
        { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1 },
    };

    [Fact]
    public void Reference_forward_on_imported_tensors_matches_OnnxRuntime()
    {
        int batch = Ids.GetLength(0), seq = Ids.GetLength(1);
        using var session = new InferenceSession(ModelBytes.Value);
        Assert.Equal(["attention_mask", "input_ids", "token_type_ids"], session.InputMetadata.Keys.Order());
        string pooledName = session.OutputMetadata.Single(o => o.Key != "last_hidden_state").Key;
        Assert.Equal(2, session.OutputMetadata[pooledName].Dimensions.Length);

        DenseTensor<long> Input(long[,] values) => new(values.Cast<long>().ToArray(), [batch, seq]);
        using var results = session.Run(
        [
            NamedOnnxValue.CreateFromTensor("input_ids", Input(Ids)),
            NamedOnnxValue.CreateFromTensor("attention_mask", Input(Mask)),
            NamedOnnxValue.CreateFromTensor("token_type_ids", Input(Types)),
        ]);
        float[] ortHidden = results.Single(r => r.Name == "last_hidden_state").AsTensor<float>().ToArray();
        float[] ortPooled = results.Single(r => r.Name == pooledName).AsTensor<float>().ToArray();

        var (tensors, shape) = Imported.Value;
        var (hidden, pooled) = ReferenceBert.Forward(tensors, shape, Ids, Mask, Types);
        using (hidden)
        using (pooled)
        {
            Assert.Equal([batch, seq, shape.Hidden], hidden.shape);
            float[] ours = hidden.data<float>().ToArray();
            double maxDiff = 0;
            for (int b = 0; b < batch; b++)
                for (int t = 0; t < seq; t++)
                {
                    if (Mask[b, t] == 0) continue;
                    for (int h = 0; h < shape.Hidden; h++)
                    {
                        int i = (b * seq + t) * shape.Hidden + h;
                        maxDiff = Math.Max(maxDiff, Math.Abs(ours[i] - ortHidden[i]));
                    }
                }
            Console.WriteLine($"max |reference - OnnxRuntime| over non-padded last_hidden_state: {maxDiff:E3}");
            Assert.InRange(maxDiff, 0, 1e-4);

            Assert.NotNull(pooled);
            float[] ourPooled = pooled.data<float>().ToArray();
            Assert.Equal(ortPooled.Length, ourPooled.Length);
            Assert.InRange(ourPooled.Zip(ortPooled, (a, b) => Math.Abs(a - b)).Max(), 0, 1e-4);
        }
    }

    [Fact]
    public void Infers_the_MiniLM_L6_shape_and_HF_layouts()
    {
        var (tensors, shape) = Imported.Value;

        // NormEps is read from the graph's float32 constant, so it is 1e-12 rounded to float, not the config's double.
        Assert.Equal(new BertShape(Hidden: 384, Layers: 6, Heads: 12, Ffn: 1536, Vocab: 30522, MaxPositions: 512,
            TypeVocab: 2, NormEps: 1e-12f), shape);
        // 5 embedding tensors, 16 per layer, 2 pooler.
        Assert.Equal(5 + 16 * 6 + 2, tensors.Count);
        Assert.Equal([1536L, 384], tensors["encoder.layer.5.intermediate.dense.weight"].shape);
        Assert.Equal([384L, 1536], tensors["encoder.layer.0.output.dense.weight"].shape);
        Assert.All(tensors.Values, t => Assert.Equal(torch.ScalarType.Float32, t.dtype));
    }

    [Fact]
    public void Truncated_model_throws_InvalidDataException()
    {
        byte[] half = ModelBytes.Value[..(ModelBytes.Value.Length / 2)];

        var error = Assert.Throws<InvalidDataException>(() => MiniLmOnnxImporter.Import(new MemoryStream(half)));
        Assert.Contains("exceeds", error.Message);
    }

    [Fact]
    public void Huge_declared_length_throws_InvalidDataException_without_allocating()
    {
        // ModelProto.graph (field 7, length-delimited) claiming 2^35 bytes in a 7-byte file.
        byte[] hostile = [0x3A, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01];

        var error = Assert.Throws<InvalidDataException>(() => OnnxModelReader.Read(hostile));
        Assert.Contains("ModelProto", error.Message);
    }

    [Fact]
    public void Missing_bias_is_reported_by_tensor_name()
    {
        // Renaming every occurrence (initializer and the Add input) keeps the graph consistent but removes the
        // name the importer needs to identify layer 3's output dense weight and bias.
        byte[] model = (byte[])ModelBytes.Value.Clone();
        int renamed = Replace(model, "encoder.layer.3.output.dense.bias", "encoder.layer.3.output.dense.bia_");
        Assert.Equal(2, renamed);

        var error = Assert.Throws<InvalidDataException>(() => MiniLmOnnxImporter.Import(new MemoryStream(model)));
        Assert.Contains("'encoder.layer.3.output.dense.weight'", error.Message);
    }

    static int Replace(byte[] data, string from, string to)
    {
        byte[] a = Encoding.ASCII.GetBytes(from), b = Encoding.ASCII.GetBytes(to);
        int count = 0;
        for (int i = data.AsSpan().IndexOf(a); i >= 0; count++)
        {
            b.CopyTo(data, i);
            int next = data.AsSpan(i + a.Length).IndexOf(a);
            i = next < 0 ? -1 : i + a.Length + next;
        }
        return count;
    }
}
