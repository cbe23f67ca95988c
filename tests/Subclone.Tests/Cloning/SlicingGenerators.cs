using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using Subclone.Cloning;
using Subclone.Models;
using Subclone.Models.Families;

namespace Subclone.Tests.Cloning;

/// <summary>A random tiny parent and a valid map over it; prints as JSON so a counterexample can be replayed as a fact.</summary>
public sealed record SliceCase(ModelConfig Parent, CloneMap Map, long Seed)
{
    public override string ToString() =>
        $"parent {Parent.ToJson(TorchSharp.torch.ScalarType.Float32).ToJsonString()}\nmap {Map.ToJsonNode().ToJsonString()}\nseed {Seed}";
}

/// <summary>A random tiny parent and a valid target shape (and planner options) for it.</summary>
public sealed record PlanCase(ModelConfig Parent, CloneTarget Target, CloneOptions Options, long Seed)
{
    public override string ToString() =>
        $"parent {Parent.ToJson(TorchSharp.torch.ScalarType.Float32).ToJsonString()}\ntarget {Target}\noptions {Options with { }} keep [{string.Join(", ", Options.KeepLayers ?? [])}]\nseed {Seed}";
}

/// <summary>
/// Generators of tiny configs of every family (GPT-2, Llama / Mistral / Qwen2 with and without GQA, BERT, ViT) and of
/// valid clone maps over them: random subsets (in random order) of residual dims, whole KV groups and query heads within
/// them, FFN neurons, and layer lists with repeats (deepening) in any order.
/// </summary>
public static class SlicingGenerators
{
    static readonly Gen<bool> Coin = Gen.Elements(true, false);

    public static Gen<ModelConfig> Config() =>
        from family in Gen.Elements("gpt2", "llama", "mistral", "qwen2", "bert", "vit")
        from kvHeads in Gen.Choose(1, 3)
        from perKv in Gen.Choose(1, 3)
        from plainHeads in Gen.Choose(1, 4)
        from headDim in Gen.Elements(2, 4)
        from llamaHidden in Gen.Choose(1, 12)
        from layers in Gen.Choose(1, 3)
        from ffn in Gen.Choose(1, 8)
        from vocab in Gen.Choose(3, 9)
        from positions in Gen.Choose(4, 7)
        from flags in Gen.ArrayOf(Coin, 3)
        from channels in Gen.Choose(1, 3)
        from labels in Gen.Choose(1, 4)
        select ModelConfig.Parse(Json(family, family is "llama" or "mistral" or "qwen2" ? kvHeads * perKv : plainHeads,
            kvHeads, headDim, llamaHidden, layers, ffn, vocab, positions, flags, channels, labels), $"generated {family} config");

    static JsonObject Json(string family, int heads, int kvHeads, int headDim, int llamaHidden, int layers, int ffn,
        int vocab, int positions, bool[] flags, int channels, int labels) => family switch
    {
        "gpt2" => new()
        {
            ["model_type"] = "gpt2", ["n_embd"] = heads * headDim, ["n_head"] = heads, ["n_layer"] = layers, ["n_inner"] = ffn,
            ["n_positions"] = positions, ["vocab_size"] = vocab, ["tie_word_embeddings"] = flags[0],
        },
        "bert" => new()
        {
            ["model_type"] = "bert", ["hidden_size"] = heads * headDim, ["num_attention_heads"] = heads, ["num_hidden_layers"] = layers,
            ["intermediate_size"] = ffn, ["vocab_size"] = vocab, ["max_position_embeddings"] = positions, ["type_vocab_size"] = flags[0] ? 2 : 1,
        },
        "vit" => new()
        {
            ["model_type"] = "vit", ["hidden_size"] = heads * headDim, ["num_attention_heads"] = heads, ["num_hidden_layers"] = layers,
            ["intermediate_size"] = ffn, ["image_size"] = flags[0] ? 4 : 6, ["patch_size"] = flags[1] ? 2 : 3, ["num_channels"] = channels,
            ["num_labels"] = labels, ["qkv_bias"] = flags[2],
        },
        _ => new()  // llama, mistral, qwen2: hidden independent of heads × head_dim, GQA when kv < heads
        {
            ["model_type"] = family, ["hidden_size"] = llamaHidden, ["num_attention_heads"] = heads, ["num_key_value_heads"] = kvHeads,
            ["head_dim"] = headDim, ["num_hidden_layers"] = layers, ["intermediate_size"] = ffn, ["vocab_size"] = vocab,
            ["max_position_embeddings"] = positions, ["tie_word_embeddings"] = flags[0], ["attention_bias"] = flags[1], ["mlp_bias"] = flags[2],
        },
    };

    /// <summary><paramref name="keep"/> of 0..n-1, in random order or ascending.</summary>
    static Gen<int[]> Subset(int n, int keep) =>
        from order in Gen.Shuffle(Enumerable.Range(0, n).ToArray())
        from sorted in Coin
        select sorted ? [.. order.Take(keep).Order()] : order.Take(keep).ToArray();

    /// <summary>One child block's kept KV groups, and its query heads listed group by group in the same order.</summary>
    static Gen<(int[] Kv, int[] Heads)> Attention(ModelConfig p, int childKv, int childPerKv)
    {
        int perKv = p.Heads / p.KvHeads;
        return from kv in Subset(p.KvHeads, childKv)
               from within in Gen.CollectToArray(kv, _ => Subset(perKv, childPerKv))
               select (kv, kv.Zip(within, (g, hs) => hs.Select(h => g * perKv + h)).SelectMany(h => h).ToArray());
    }

    public static Gen<CloneMap> Map(ModelConfig p) =>
        from childKv in Gen.Choose(1, p.KvHeads)
        from childPerKv in Gen.Choose(1, p.Heads / p.KvHeads)
        from llamaHidden in Gen.Choose(1, p.Hidden)
        let hidden = p.Family.FreeHeadDim ? llamaHidden : childKv * childPerKv * p.HeadDim
        from residual in Subset(p.Hidden, hidden)
        from childLayers in Gen.Choose(1, p.Layers + 2)
        from layerMap in Gen.ArrayOf(Gen.Choose(0, p.Layers - 1), childLayers)
        from ffn in Gen.Choose(1, p.Ffn)
        from attention in Gen.ArrayOf(Attention(p, childKv, childPerKv), childLayers)
        from neurons in Gen.ArrayOf(Subset(p.Ffn, ffn), childLayers)
        from scale in Coin
        select new CloneMap
        {
            ResidualDims = residual, LayerMap = layerMap, Heads = [.. attention.Select(a => a.Heads)],
            KvHeads = [.. attention.Select(a => a.Kv)], FfnNeurons = neurons, Scale = scale,
        };

    /// <summary>
    /// A map that keeps everything, each list permuted. Half the time the query heads follow their KV groups' order
    /// (so the child computes the parent's function); otherwise heads and KV heads are shuffled independently.
    /// </summary>
    public static Gen<CloneMap> Permutation(ModelConfig p) =>
        from residual in Gen.Shuffle(Enumerable.Range(0, p.Hidden).ToArray())
        from aligned in Coin
        from attention in aligned
            ? Gen.ArrayOf(Attention(p, p.KvHeads, p.Heads / p.KvHeads), p.Layers)
            : Gen.ArrayOf(Gen.Zip(Gen.Shuffle(Enumerable.Range(0, p.KvHeads).ToArray()), Gen.Shuffle(Enumerable.Range(0, p.Heads).ToArray()), (kv, heads) => (Kv: kv, Heads: heads)), p.Layers)
        from neurons in Gen.ArrayOf(Gen.Shuffle(Enumerable.Range(0, p.Ffn).ToArray()), p.Layers)
        select new CloneMap
        {
            ResidualDims = residual, LayerMap = [.. Enumerable.Range(0, p.Layers)], Heads = [.. attention.Select(a => a.Heads)],
            KvHeads = [.. attention.Select(a => a.Kv)], FfnNeurons = neurons,
        };

    static Gen<long> Seed => Gen.Choose(0, int.MaxValue).Select(s => (long)s);

    public static Gen<CloneTarget> Target(ModelConfig p) =>
        from childKv in Gen.Choose(1, p.KvHeads)
        from childPerKv in Gen.Choose(1, p.Heads / p.KvHeads)
        from llamaHidden in Gen.Choose(1, p.Hidden)
        from layers in Gen.Choose(1, p.Layers + 2)
        from ffn in Gen.Choose(1, p.Ffn)
        let heads = childKv * childPerKv
        select new CloneTarget(p.Family.FreeHeadDim ? llamaHidden : heads * p.HeadDim, layers, heads, childKv, ffn);

    static Gen<CloneOptions> Options(ModelConfig p, CloneTarget target) =>
        from selection in Gen.Elements(Enum.GetValues<Selection>())
        from depth in Gen.Elements(Enum.GetValues<DepthStrategy>())
        from explicitLayers in Gen.Frequency((1, Gen.Constant(true)), (3, Gen.Constant(false)))
        from keep in Gen.ArrayOf(Gen.Choose(0, p.Layers - 1), target.Layers!.Value)
        from scale in Coin
        from seed in Seed
        select new CloneOptions { Selection = selection, Depth = depth, KeepLayers = explicitLayers ? keep : null, Scale = scale, Seed = seed };

    public static Arbitrary<SliceCase> Slices() => Arb.From(
        from p in Config() from map in Map(p) from seed in Seed select new SliceCase(p, map, seed));

    public static Arbitrary<SliceCase> Permutations() => Arb.From(
        from p in Config() from map in Permutation(p) from seed in Seed select new SliceCase(p, map, seed));

    public static Arbitrary<ModelConfig> Configs() => Arb.From(Config());

    public static Arbitrary<PlanCase> Plans() => Arb.From(
        from p in Config() from target in Target(p) from options in Options(p, target) from seed in Seed
        select new PlanCase(p, target, options, seed));
}

/// <summary>Registers <see cref="SlicingGenerators.Slices"/> for SliceCase parameters.</summary>
public static class SliceArbitrary
{
    public static Arbitrary<SliceCase> Cases() => SlicingGenerators.Slices();
    public static Arbitrary<ModelConfig> Configs() => SlicingGenerators.Configs();
    public static Arbitrary<PlanCase> Plans() => SlicingGenerators.Plans();
}

/// <summary>Registers <see cref="SlicingGenerators.Permutations"/> for SliceCase parameters.</summary>
public static class PermutationArbitrary
{
    public static Arbitrary<SliceCase> Cases() => SlicingGenerators.Permutations();
}
