using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;

namespace Subclone.Cloning;

/// <summary>
/// Everything a cut keeps: which residual dims, which parent block feeds each child block, and per child
/// block which heads / KV heads / FFN neurons. Indices are in the parent's order (ascending), so a child's
/// tensors are sub-matrices of the parent's and an identity map reproduces the parent exactly. Written as
/// clone_map.json, it documents the cut and replays it on a sibling checkpoint without calibration.
/// </summary>
public sealed record CloneMap
{
    /// <summary>Kept residual dims, global to every block (each block reads and writes the same residual coordinates).</summary>
    public required int[] ResidualDims { get; init; }
    /// <summary>[child layer] → parent layer (repeats when blocks are duplicated).</summary>
    public required int[] LayerMap { get; init; }
    /// <summary>[child layer] → kept query heads of that block's parent layer.</summary>
    public required int[][] Heads { get; init; }
    /// <summary>[child layer] → kept key/value heads (equals Heads without GQA).</summary>
    public required int[][] KvHeads { get; init; }
    /// <summary>[child layer] → kept FFN neurons of a dense block's MLP (empty for a sparse block).</summary>
    public required int[][] FfnNeurons { get; init; }
    /// <summary>[child layer] → kept experts of a sparse block, in the parent's order (empty for a dense block); null for dense parents.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[][]? Experts { get; init; }
    /// <summary>[child layer][kept expert] → that expert's kept FFN neurons; null for dense parents.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int[][][]? ExpertFfnNeurons { get; init; }
    /// <summary>Experts each token is routed to in the child; null: the parent's.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public int? TopK { get; init; }
    /// <summary>The model_type a one-expert, top-1 child is written as (mistral, qwen3); null: the parent's family.</summary>
    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? DenseModelType { get; init; }
    /// <summary>Multiply linear weights whose input shrank from n to n' by √(n/n').</summary>
    public bool Scale { get; init; } = true;
    /// <summary>How the indices were chosen (importance, first, random, uniform), recorded for the reader.</summary>
    public string Selection { get; init; } = "importance";
    /// <summary>How the blocks were chosen (middle, first, influence, explicit), recorded for the reader.</summary>
    public string Depth { get; init; } = "middle";

    /// <summary>The map that keeps everything in order: its child is the parent, tensor for tensor.</summary>
    public static CloneMap Identity(Models.ModelConfig c)
    {
        int[] Range(int n) => Enumerable.Range(0, n).ToArray();
        bool Sparse(int l) => c.Moe?.IsSparse(l) ?? false;
        return new CloneMap
        {
            ResidualDims = Range(c.Hidden),
            LayerMap = Range(c.Layers),
            Heads = Enumerable.Range(0, c.Layers).Select(_ => Range(c.Heads)).ToArray(),
            KvHeads = Enumerable.Range(0, c.Layers).Select(_ => Range(c.KvHeads)).ToArray(),
            FfnNeurons = Enumerable.Range(0, c.Layers).Select(l => Sparse(l) ? [] : Range(c.Ffn)).ToArray(),
            Experts = c.Moe is { } moe ? Enumerable.Range(0, c.Layers).Select(l => Sparse(l) ? Range(moe.Experts) : []).ToArray() : null,
            ExpertFfnNeurons = c.Moe is { } m ? Enumerable.Range(0, c.Layers)
                .Select(l => Sparse(l) ? Enumerable.Range(0, m.Experts).Select(_ => Range(m.ExpertFfn)).ToArray() : []).ToArray() : null,
        };
    }

    internal static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    /// <summary>The map as clone_map.json's "map" object (snake_case keys).</summary>
    public JsonNode ToJsonNode() => JsonSerializer.SerializeToNode(this, JsonOptions)!;

    /// <summary>Reads a map written by <see cref="ToJsonNode"/>; <paramref name="path"/> names the file in errors.</summary>
    public static CloneMap FromJsonNode(JsonNode node, string path)
    {
        if (node is not JsonObject fields) throw new InvalidDataException($"{path}: \"map\" must be an object, not {Kind(node)}");
        // Every list must be present and hold numbers (null or a missing field would surface later as a crash).
        foreach (string name in new[] { "residual_dims", "layer_map" })
            if (fields[name] is not JsonArray list || list.Any(v => v is not JsonValue))
                throw new InvalidDataException($"{path}: map.{name} must be a list of indices");
        foreach (string name in new[] { "heads", "kv_heads", "ffn_neurons" })
            if (fields[name] is not JsonArray perLayer || perLayer.Any(l => l is not JsonArray inner || inner.Any(v => v is not JsonValue)))
                throw new InvalidDataException($"{path}: map.{name} must be a list of index lists, one per child layer");
        try
        {
            return node.Deserialize<CloneMap>(JsonOptions) ?? throw new InvalidDataException($"{path}: the map is empty");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: not a clone map ({(e.Path is string at ? $"at {at}: " : "")}{e.Message.Split('.')[0]})");
        }
    }

    static string Kind(JsonNode? node) => node switch { null => "null", JsonArray => "a list", JsonValue => "a value", _ => "an object" };

    /// <summary>Checks every index against the parent's shape and the lists against each other.</summary>
    public void Validate(Models.ModelConfig parent, string origin)
    {
        void Check(bool ok, string problem) { if (!ok) throw new InvalidDataException($"{origin}: {problem}"); }
        static bool Valid(int[] indices, int bound) => indices.All(i => i >= 0 && i < bound) && indices.Distinct().Count() == indices.Length;
        Check(ResidualDims.Length > 0 && Valid(ResidualDims, parent.Hidden), $"residual dims must be distinct indices below {parent.Hidden}");
        Check(LayerMap.Length > 0 && LayerMap.All(l => l >= 0 && l < parent.Layers), $"layer indices must be below the parent's {parent.Layers} layers");
        int layers = LayerMap.Length;
        Check(Heads.Length == layers && KvHeads.Length == layers && FfnNeurons.Length == layers, "per-layer lists must have one entry per child layer");
        int groups = parent.Heads / parent.KvHeads;
        ValidateExperts(parent, Check, Valid);
        bool Dense(int l) => !(parent.Moe?.IsSparse(LayerMap[l]) ?? false);
        int firstDense = Enumerable.Range(0, layers).FirstOrDefault(Dense, -1);
        for (int l = 0; l < layers; l++)
        {
            Check(Heads[l].Length == Heads[0].Length && KvHeads[l].Length == KvHeads[0].Length
                && (!Dense(l) || FfnNeurons[l].Length == FfnNeurons[firstDense].Length),
                $"layer {l} keeps a different number of heads or neurons than layer 0; every layer must have the same shape");
            Check(Heads[l].Length > 0 && Valid(Heads[l], parent.Heads), $"layer {l}: heads must be distinct indices below {parent.Heads}");
            Check(KvHeads[l].Length > 0 && Valid(KvHeads[l], parent.KvHeads), $"layer {l}: KV heads must be distinct indices below {parent.KvHeads}");
            if (Dense(l))
                Check(FfnNeurons[l].Length > 0 && Valid(FfnNeurons[l], parent.Ffn), $"layer {l}: FFN neurons must be distinct indices below {parent.Ffn}");
            else
                Check(FfnNeurons[l].Length == 0, $"layer {l}: a sparse block keeps experts, not dense FFN neurons");
            Check(Heads[l].All(h => KvHeads[l].Contains(h / groups)), $"layer {l}: a kept query head's KV head is not kept");
            Check(Heads[l].Length % KvHeads[l].Length == 0
                && KvHeads[l].All(g => Heads[l].Count(h => h / groups == g) == Heads[l].Length / KvHeads[l].Length),
                $"layer {l}: every kept KV head must keep the same number of query heads");
            // The child's query head i reads its KV head i / (heads per KV head): the heads must come group by group,
            // in KvHeads' order, or a query head is paired with another group's keys and values.
            int perKv = Heads[l].Length / KvHeads[l].Length;
            Check(Heads[l].Select((h, i) => h / groups == KvHeads[l][i / perKv]).All(ok => ok),
                $"layer {l}: query heads must be listed group by group in the order of the kept KV heads ({perKv} per KV head)");
        }
    }

    /// <summary>The expert lists: present exactly for a parent with experts, one entry per child layer, the same
    /// number of experts and neurons in every sparse block, and a top-k the kept experts can serve.</summary>
    void ValidateExperts(Models.ModelConfig parent, Action<bool, string> check, Func<int[], int, bool> valid)
    {
        if (parent.Moe is not { } moe)
        {
            check(Experts is null && ExpertFfnNeurons is null && TopK is null && DenseModelType is null, "the parent has no experts to keep");
            return;
        }
        check(Experts is not null && ExpertFfnNeurons is not null, "a parent with experts needs 'experts' and 'expert_ffn_neurons'");
        int layers = LayerMap.Length;
        check(Experts!.Length == layers && ExpertFfnNeurons!.Length == layers, "per-layer expert lists must have one entry per child layer");
        int? experts = null, width = null;
        for (int l = 0; l < layers; l++)
        {
            if (!moe.IsSparse(LayerMap[l]))
            {
                check(Experts[l].Length == 0 && ExpertFfnNeurons![l].Length == 0, $"layer {l}: a dense block keeps no experts");
                continue;
            }
            check(Experts[l].Length > 0 && valid(Experts[l], moe.Experts) && Experts[l].SequenceEqual(Experts[l].Order()),
                $"layer {l}: experts must be distinct ascending indices below {moe.Experts}");
            check(ExpertFfnNeurons![l].Length == Experts[l].Length, $"layer {l}: one neuron list per kept expert");
            experts ??= Experts[l].Length;
            check(Experts[l].Length == experts, $"layer {l} keeps a different number of experts; every sparse block must have the same shape");
            foreach (var neurons in ExpertFfnNeurons[l])
            {
                width ??= neurons.Length;
                check(neurons.Length == width && neurons.Length > 0 && valid(neurons, moe.ExpertFfn),
                    $"layer {l}: every kept expert must keep the same number of distinct FFN neurons below {moe.ExpertFfn}");
            }
        }
        int topK = TopK ?? moe.TopK;
        check(topK >= 1 && topK <= (experts ?? moe.Experts), $"top-k {topK} must be between 1 and the {experts ?? moe.Experts} kept experts");
        check(DenseModelType is null || (experts ?? 1) == 1 && topK == 1, "a dense child keeps one expert with top-1 routing");
    }
}
