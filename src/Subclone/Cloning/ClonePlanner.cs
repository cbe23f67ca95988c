using Subclone.Models;

namespace Subclone.Cloning;

/// <summary>Decides what a child keeps: importance (or a baseline's rule) + target shape → <see cref="CloneMap"/>.</summary>
public static class ClonePlanner
{
    /// <summary>
    /// The map from <paramref name="parent"/> to the shape <paramref name="child"/>: scores (needed for importance selection) rank what is kept,
    /// or <paramref name="options"/> names a baseline rule. Indices come out in ascending order; query heads are kept whole KV group by group.
    /// </summary>
    public static CloneMap Plan(ModelConfig parent, ModelConfig child, ImportanceScores? scores, CloneOptions options)
    {
        if (options.Selection == Selection.Importance && scores is null)
            throw new ArgumentException("importance selection needs calibration scores");
        var random = new Random((int)(options.Seed ^ (options.Seed >> 32)));
        int[] layerMap = LayerMap(parent, child.Layers, scores, options);

        int[] Choose(int total, int keep, double[]? score) => options.Selection switch
        {
            Selection.Importance => TopK(score!, keep),
            Selection.First => Enumerable.Range(0, keep).ToArray(),
            Selection.Random => Enumerable.Range(0, total).OrderBy(_ => random.Next()).Take(keep).Order().ToArray(),
            Selection.Uniform => Evenly(total, keep),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };

        var residual = Choose(parent.Hidden, child.Hidden, scores?.ResidualGlobal);
        var heads = new int[child.Layers][];
        var kvHeads = new int[child.Layers][];
        var ffn = new int[child.Layers][];
        // A parent with experts: which experts each sparse block keeps, and each kept expert's neurons. A dense child
        // (the parent had experts, the child's family has none) keeps one expert per block, with top-1 routing.
        var moe = parent.Moe;
        bool dense = moe is not null && child.Moe is null;
        int keepExperts = dense ? 1 : child.Moe?.Experts ?? 0, keepExpertFfn = dense ? child.Ffn : child.Moe?.ExpertFfn ?? 0;
        var experts = moe is null ? null : new int[child.Layers][];
        var expertFfn = moe is null ? null : new int[child.Layers][][];
        int groupSize = parent.Heads / parent.KvHeads, childGroupSize = child.Heads / child.KvHeads;
        for (int l = 0; l < child.Layers; l++)
        {
            int source = layerMap[l];
            if (moe is not null && moe.IsSparse(source))
            {
                ffn[l] = [];
                experts![l] = Choose(moe.Experts, keepExperts, scores is null ? null : scores.ExpertMass?[source] ?? NoExpertScores());
                expertFfn![l] = experts[l].Select(e => Choose(moe.ExpertFfn, keepExpertFfn, scores?.ExpertFfn?[source][e])).ToArray();
            }
            else
            {
                ffn[l] = Choose(parent.Ffn, child.Ffn, scores?.Ffn[source]);
                if (moe is not null) (experts![l], expertFfn![l]) = ([], []);
            }
            // A KV group's score is the sum of its query heads' scores; keep whole groups, then within each
            // kept group the best query heads when the query-per-KV ratio also shrinks.
            double[]? headScores = scores?.Heads[source];
            double[]? groupScores = headScores is null ? null
                : Enumerable.Range(0, parent.KvHeads).Select(g => headScores.Skip(g * groupSize).Take(groupSize).Sum()).ToArray();
            kvHeads[l] = Choose(parent.KvHeads, child.KvHeads, groupScores);
            heads[l] = kvHeads[l].SelectMany(g =>
                Choose(groupSize, childGroupSize, headScores?.Skip(g * groupSize).Take(groupSize).ToArray()).Select(h => g * groupSize + h)).ToArray();
        }
        return new CloneMap
        {
            ResidualDims = residual, LayerMap = layerMap, Heads = heads, KvHeads = kvHeads, FfnNeurons = ffn,
            Experts = experts, ExpertFfnNeurons = expertFfn,
            TopK = moe is null ? null : dense ? 1 : child.Moe!.TopK,
            DenseModelType = dense ? child.ModelType : null,
            Scale = options.Scale,
            Selection = options.Selection.ToString().ToLowerInvariant(),
            Depth = options.KeepLayers is not null ? "explicit" : options.Selection == Selection.Uniform ? "first" : options.Depth.ToString().ToLowerInvariant(),
        };
    }

    static double[] NoExpertScores() =>
        throw new UserInputException("the importance scores have no expert statistics (measure them on the parent with experts)");

    /// <summary>Indices of the k largest scores, in ascending index order (ties broken by the lower index).</summary>
    public static int[] TopK(double[] score, int k) =>
        Enumerable.Range(0, score.Length).OrderByDescending(i => score[i]).ThenBy(i => i).Take(k).Order().ToArray();

    /// <summary>k indices spread evenly over [0, n): ⌊i·n/k⌋.</summary>
    public static int[] Evenly(int n, int k) => Enumerable.Range(0, k).Select(i => (int)((long)i * n / k)).ToArray();

    /// <summary>[child layer] → parent layer: the explicit --keep-layers, a deepening (duplicated middle blocks), or the depth strategy's choice.</summary>
    public static int[] LayerMap(ModelConfig parent, int childLayers, ImportanceScores? scores, CloneOptions options)
    {
        int l = parent.Layers;
        if (options.KeepLayers is int[] keep)
        {
            if (keep.Length != childLayers) throw new UserInputException($"--keep-layers lists {keep.Length} layers but the child has {childLayers}");
            foreach (int k in keep)
                if (k < 0 || k >= l) throw new UserInputException($"--keep-layers: layer {k} does not exist (the parent has layers 0..{l - 1})");
            return keep;
        }
        if (childLayers > l) return Deepen(l, childLayers);
        var depth = options.Selection == Selection.Uniform ? DepthStrategy.First : options.Depth;
        return depth switch
        {
            DepthStrategy.Middle => Enumerable.Range(0, (childLayers + 1) / 2).Concat(Enumerable.Range(l - childLayers / 2, childLayers / 2)).ToArray(),
            DepthStrategy.First => Enumerable.Range(0, childLayers).ToArray(),
            DepthStrategy.Influence => scores is null
                ? throw new UserInputException("--depth influence needs calibration (it ranks blocks by influence)")
                : TopK(scores.BlockInfluence, childLayers),
            _ => throw new ArgumentOutOfRangeException(nameof(options)),
        };
    }

    /// <summary>A deeper child: the middle blocks are duplicated in place (a duplicated middle block barely
    /// changes the loss, per the paper), spreading extra copies outwards from the centre.</summary>
    static int[] Deepen(int parentLayers, int childLayers)
    {
        var copies = Enumerable.Repeat(1, parentLayers).ToArray();
        var order = Enumerable.Range(0, parentLayers).OrderBy(i => Math.Abs(i - (parentLayers - 1) / 2.0)).ThenBy(i => i).ToArray();
        for (int extra = 0; extra < childLayers - parentLayers; extra++) copies[order[extra % parentLayers]]++;
        return Enumerable.Range(0, parentLayers).SelectMany(i => Enumerable.Repeat(i, copies[i])).ToArray();
    }
}
