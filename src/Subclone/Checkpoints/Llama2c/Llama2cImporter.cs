using System.Buffers.Binary;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace Subclone.Checkpoints.Llama2c;

/// <summary>
/// Reads a legacy (version 0) llama2.c checkpoint (Karpathy's run.c format) into Hugging Face
/// <c>LlamaForCausalLM</c> tensors.
/// </summary>
public static class Llama2cImporter
{
    // Floats per read: bounds the staging buffer whatever a tensor's size.
    const int ChunkFloats = 1 << 20;

    /// <exception cref="InvalidDataException">The header is inconsistent or disagrees with the file's length.</exception>
    public static Llama2cModel Import(string path)
    {
        using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.SequentialScan);
        var header = Llama2cHeader.Read(stream, path);
        int dim = header.Dim, hidden = header.HiddenDim, kvDim = header.KvDim, layers = header.Layers;

        var tensors = new Dictionary<string, Tensor>();
        var reader = new ChunkReader(stream);
        try
        {
            tensors["model.embed_tokens.weight"] = reader.Read(header.Vocab, dim);
            // Each weight is stored for all layers before the next weight begins.
            ReadPerLayer(tensors, reader, layers, "input_layernorm", [dim]);
            ReadPerLayer(tensors, reader, layers, "self_attn.q_proj", [dim, dim], w => PermuteForRotateHalf(w, header.Heads));
            ReadPerLayer(tensors, reader, layers, "self_attn.k_proj", [kvDim, dim], w => PermuteForRotateHalf(w, header.KvHeads));
            ReadPerLayer(tensors, reader, layers, "self_attn.v_proj", [kvDim, dim]);
            ReadPerLayer(tensors, reader, layers, "self_attn.o_proj", [dim, dim]);
            ReadPerLayer(tensors, reader, layers, "post_attention_layernorm", [dim]);
            ReadPerLayer(tensors, reader, layers, "mlp.gate_proj", [hidden, dim]);   // w1
            ReadPerLayer(tensors, reader, layers, "mlp.down_proj", [dim, hidden]);   // w2
            ReadPerLayer(tensors, reader, layers, "mlp.up_proj", [hidden, dim]);     // w3
            tensors["model.norm.weight"] = reader.Read(dim);
            // Precomputed RoPE tables from early exports; HF recomputes them from rope_theta.
            stream.Seek(header.FreqCisByteCount, SeekOrigin.Current);
            if (!header.SharedClassifier) tensors["lm_head.weight"] = reader.Read(header.Vocab, dim);
        }
        catch
        {
            foreach (var tensor in tensors.Values) tensor.Dispose();
            throw;
        }

        var shape = new Llama2cShape(dim, layers, header.Heads, header.KvHeads, hidden, header.Vocab, header.SeqLen,
            TieWordEmbeddings: header.SharedClassifier);
        return new Llama2cModel(shape, tensors);
    }

    static void ReadPerLayer(Dictionary<string, Tensor> tensors, ChunkReader reader, int layers, string name,
        long[] shape, Func<Tensor, Tensor>? transform = null)
    {
        for (int i = 0; i < layers; i++)
        {
            var tensor = reader.Read(shape);
            if (transform is not null)
            {
                using var raw = tensor;
                tensor = transform(raw);
            }
            tensors[$"model.layers.{i}.{name}.weight"] = tensor;
        }
    }

    /// <summary>
    /// Reorders q/k output rows so that Hugging Face's rotate-half RoPE (pairs x[i], x[i + hd/2]) computes what
    /// llama2.c's interleaved RoPE (pairs x[2i], x[2i+1]) did; same as convert_llama_weights_to_hf.py's permute.
    /// </summary>
    internal static Tensor PermuteForRotateHalf(Tensor weight, long heads)
    {
        long rows = weight.shape[0], cols = weight.shape[1];
        using var view = weight.view(heads, rows / heads / 2, 2, cols);
        using var swapped = view.transpose(1, 2);
        // reshape copies here: the swapped view is not contiguous (unless head size is 2, when it is the identity).
        return swapped.reshape(rows, cols);
    }

    /// <summary>Fills float32 tensors from little-endian floats through one reusable staging buffer.</summary>
    sealed class ChunkReader(Stream stream)
    {
        readonly float[] buffer = new float[ChunkFloats];

        public Tensor Read(params long[] shape)
        {
            var tensor = empty(shape, ScalarType.Float32);
            try
            {
                using var flat = tensor.view(-1);
                long total = flat.shape[0];
                for (long offset = 0; offset < total; offset += ChunkFloats)
                {
                    int count = (int)Math.Min(ChunkFloats, total - offset);
                    var span = buffer.AsSpan(0, count);
                    stream.ReadExactly(MemoryMarshal.AsBytes(span));
                    if (!BitConverter.IsLittleEndian)
                    {
                        var bits = MemoryMarshal.Cast<float, int>(span);
                        BinaryPrimitives.ReverseEndianness(bits, bits);
                    }
                    using var source = torch.tensor(buffer.AsMemory(0, count), [count]);
                    using var target = flat.narrow(0, offset, count);
                    target.copy_(source);
                }
                return tensor;
            }
            catch
            {
                tensor.Dispose();
                throw;
            }
        }
    }
}
