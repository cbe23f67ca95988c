using System.Buffers.Binary;
using System.Runtime.InteropServices;

namespace Subclone.Tests.Checkpoints;

/// <summary>
/// A line-by-line C# port of llama2.c's run.c (float32 loops, KV cache, interleaved-pair RoPE) over the
/// checkpoint's original, un-permuted weights. It reads the file itself so that it shares nothing with
/// the importer under test.
/// </summary>
sealed class ReferenceLlama2c
{
    readonly float[] data;
    readonly int dim, hidden, layers, heads, kvHeads, vocab, seqLen, headSize, kvDim;
    readonly int tokenEmbedding, rmsAtt, wq, wk, wv, wo, rmsFfn, w1, w2, w3, rmsFinal, wcls;
    readonly float[] keyCache, valueCache;

    ReferenceLlama2c(int[] header, float[] data)
    {
        this.data = data;
        (dim, hidden, layers, heads, kvHeads, seqLen) = (header[0], header[1], header[2], header[3], header[4], header[6]);
        vocab = Math.Abs(header[5]);
        SharedClassifier = header[5] > 0;
        headSize = dim / heads;
        kvDim = dim * kvHeads / heads;

        // memory_map_weights, as offsets into the floats after the header.
        int p = 0;
        tokenEmbedding = p; p += vocab * dim;
        rmsAtt = p; p += layers * dim;
        wq = p; p += layers * dim * dim;
        wk = p; p += layers * dim * kvDim;
        wv = p; p += layers * dim * kvDim;
        wo = p; p += layers * dim * dim;
        rmsFfn = p; p += layers * dim;
        w1 = p; p += layers * dim * hidden;
        w2 = p; p += layers * hidden * dim;
        w3 = p; p += layers * dim * hidden;
        rmsFinal = p; p += dim;
        p += seqLen * headSize / 2; // freq_cis_real
        p += seqLen * headSize / 2; // freq_cis_imag
        wcls = SharedClassifier ? tokenEmbedding : p;
        if (!SharedClassifier) p += vocab * dim;
        if (p != data.Length) throw new InvalidOperationException($"reference layout covers {p} floats, file has {data.Length}");

        keyCache = new float[layers * seqLen * kvDim];
        valueCache = new float[layers * seqLen * kvDim];
    }

    public bool SharedClassifier { get; }

    public int Vocab => vocab;

    public static ReferenceLlama2c Load(string path)
    {
        byte[] file = File.ReadAllBytes(path);
        var header = new int[7];
        for (int i = 0; i < 7; i++) header[i] = BinaryPrimitives.ReadInt32LittleEndian(file.AsSpan(i * 4));
        var floats = MemoryMarshal.Cast<byte, float>(file.AsSpan(28)).ToArray();
        return new ReferenceLlama2c(header, floats);
    }

    /// <summary>One weight block as stored: run.c name, and layer for per-layer weights.</summary>
    public float[] Raw(string name, int layer = 0)
    {
        (int start, int size) = name switch
        {
            "token_embedding_table" => (tokenEmbedding, vocab * dim),
            "rms_att_weight" => (rmsAtt + layer * dim, dim),
            "wq" => (wq + layer * dim * dim, dim * dim),
            "wk" => (wk + layer * kvDim * dim, kvDim * dim),
            "wv" => (wv + layer * kvDim * dim, kvDim * dim),
            "wo" => (wo + layer * dim * dim, dim * dim),
            "rms_ffn_weight" => (rmsFfn + layer * dim, dim),
            "w1" => (w1 + layer * hidden * dim, hidden * dim),
            "w2" => (w2 + layer * dim * hidden, dim * hidden),
            "w3" => (w3 + layer * hidden * dim, hidden * dim),
            "rms_final_weight" => (rmsFinal, dim),
            "wcls" => (wcls, vocab * dim),
            _ => throw new ArgumentException(name),
        };
        return data.AsSpan(start, size).ToArray();
    }

    /// <summary>run.c forward(): logits for <paramref name="token"/> at <paramref name="pos"/>; positions must be
    /// fed in order from 0 because the KV cache is filled as it goes.</summary>
    public float[] Forward(int token, int pos)
    {
        var x = data.AsSpan(tokenEmbedding + token * dim, dim).ToArray();
        var xb = new float[dim];
        var xb2 = new float[dim];
        var hb = new float[hidden];
        var hb2 = new float[hidden];
        var q = new float[dim];
        var att = new float[seqLen];
        int kvMul = heads / kvHeads;

        for (int l = 0; l < layers; l++)
        {
            RmsNorm(xb, x, rmsAtt + l * dim);

            int loff = l * seqLen * kvDim;
            var k = keyCache.AsSpan(loff + pos * kvDim, kvDim);
            var v = valueCache.AsSpan(loff + pos * kvDim, kvDim);
            MatMul(q, xb, wq + l * dim * dim, dim, dim);
            MatMul(k, xb, wk + l * dim * kvDim, dim, kvDim);
            MatMul(v, xb, wv + l * dim * kvDim, dim, kvDim);

            for (int i = 0; i < dim; i += 2)
            {
                int headDim = i % headSize;
                float freq = 1.0f / MathF.Pow(10000.0f, headDim / (float)headSize);
                float val = pos * freq;
                float fcr = MathF.Cos(val), fci = MathF.Sin(val);
                int rotn = i < kvDim ? 2 : 1;
                for (int r = 0; r < rotn; r++)
                {
                    var vec = r == 0 ? q.AsSpan() : k;
                    float v0 = vec[i], v1 = vec[i + 1];
                    vec[i] = v0 * fcr - v1 * fci;
                    vec[i + 1] = v0 * fci + v1 * fcr;
                }
            }

            for (int h = 0; h < heads; h++)
            {
                int qh = h * headSize;
                for (int t = 0; t <= pos; t++)
                {
                    int kt = loff + t * kvDim + h / kvMul * headSize;
                    float score = 0.0f;
                    for (int i = 0; i < headSize; i++) score += q[qh + i] * keyCache[kt + i];
                    att[t] = score / MathF.Sqrt(headSize);
                }
                Softmax(att.AsSpan(0, pos + 1));
                Array.Clear(xb, qh, headSize);
                for (int t = 0; t <= pos; t++)
                {
                    int vt = loff + t * kvDim + h / kvMul * headSize;
                    for (int i = 0; i < headSize; i++) xb[qh + i] += att[t] * valueCache[vt + i];
                }
            }

            MatMul(xb2, xb, wo + l * dim * dim, dim, dim);
            for (int i = 0; i < dim; i++) x[i] += xb2[i];

            RmsNorm(xb, x, rmsFfn + l * dim);
            MatMul(hb, xb, w1 + l * dim * hidden, dim, hidden);
            MatMul(hb2, xb, w3 + l * dim * hidden, dim, hidden);
            for (int i = 0; i < hidden; i++)
            {
                float val = hb[i];
                val *= 1.0f / (1.0f + MathF.Exp(-val));
                hb[i] = val * hb2[i];
            }
            MatMul(xb, hb, w2 + l * dim * hidden, hidden, dim);
            for (int i = 0; i < dim; i++) x[i] += xb[i];
        }

        RmsNorm(x, x, rmsFinal);
        var logits = new float[vocab];
        MatMul(logits, x, wcls, dim, vocab);
        return logits;
    }

    void RmsNorm(Span<float> o, ReadOnlySpan<float> x, int weight)
    {
        float ss = 0.0f;
        for (int j = 0; j < x.Length; j++) ss += x[j] * x[j];
        ss /= x.Length;
        ss += 1e-5f;
        ss = 1.0f / MathF.Sqrt(ss);
        for (int j = 0; j < x.Length; j++) o[j] = data[weight + j] * (ss * x[j]);
    }

    // W (d,n) @ x (n,) -> xout (d,), W stored row-major at offset w.
    void MatMul(Span<float> xout, ReadOnlySpan<float> x, int w, int n, int d)
    {
        for (int i = 0; i < d; i++)
        {
            float val = 0.0f;
            for (int j = 0; j < n; j++) val += data[w + i * n + j] * x[j];
            xout[i] = val;
        }
    }

    static void Softmax(Span<float> x)
    {
        float max = x[0];
        for (int i = 1; i < x.Length; i++) max = Math.Max(max, x[i]);
        float sum = 0.0f;
        for (int i = 0; i < x.Length; i++)
        {
            x[i] = MathF.Exp(x[i] - max);
            sum += x[i];
        }
        for (int i = 0; i < x.Length; i++) x[i] /= sum;
    }
}
