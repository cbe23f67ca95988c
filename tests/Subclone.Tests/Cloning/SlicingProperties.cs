using FsCheck.Xunit;
using Subclone.Cloning;
using Subclone.Models;
using static TorchSharp.torch;
using Subclone.Models.Families;

namespace Subclone.Tests.Cloning;

/// <summary>
/// Slicing, checked on random tiny parents of every family and random valid maps (<see cref="SlicingGenerators"/>):
/// any valid map yields exactly the tensors a model of the child's config has, each one the parent's values at the
/// mapped indices (× √(n/n') where a linear layer's input shrank); the identity map changes nothing; a map that only
/// reorders computes the parent's function. Counterexamples print as JSON, to be kept as facts.
/// </summary>
public class SlicingProperties
{
    const int Runs = 40;

    [Property(MaxTest = Runs, Arbitrary = [typeof(SliceArbitrary)])]
    public void Any_valid_map_yields_the_tensors_of_the_child_config(SliceCase c)
    {
        using var scope = NewDisposeScope();
        c.Map.Validate(c.Parent, "generated map");
        var childConfig = Subcloner.ChildConfig(c.Parent, c.Map);
        using var parent = TransformerModel.Create(c.Parent, c.Seed);
        var tensors = Slicer.Slice(parent, childConfig, c.Map);
        using var fresh = TransformerModel.Create(childConfig, c.Seed);
        var expected = fresh.state_dict();

        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, tensor) in tensors)
        {
            Assert.True(expected[name].shape.SequenceEqual(tensor.shape),
                $"{name}: sliced [{string.Join(", ", tensor.shape)}], the child config declares [{string.Join(", ", expected[name].shape)}]");
            Assert.Equal(ScalarType.Float32, tensor.dtype);
        }
        // The shape table used for streaming and the parameter count used for budgets agree with the built child.
        Assert.Equal(expected.Select(kv => (kv.Key, string.Join(",", kv.Value.shape))),
            TransformerModel.ParameterShapes(childConfig).Select(s => (s.Name, string.Join(",", s.Shape))));
        Assert.Equal(fresh.ParameterCount(), CloneTarget.ParameterCount(childConfig));

        using var child = Subcloner.Apply(parent, c.Map);
        Assert.Equal(childConfig, child.Config);
        using var _ = no_grad();
        var output = child.Forward(Input(childConfig, c.Seed));
        long[] outputShape = childConfig.Family.Kind switch
        {
            FamilyKind.ImageClassifier => [2, childConfig.Labels],
            FamilyKind.Encoder => [2, childConfig.MaxPositions, childConfig.Hidden],
            _ => [2, childConfig.MaxPositions, childConfig.Vocab],
        };
        Assert.Equal(outputShape, output.shape);
        Assert.True(output.isfinite().all().item<bool>());
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Property(MaxTest = Runs, Arbitrary = [typeof(SliceArbitrary)])]
    public void Sliced_values_are_the_parents_at_the_mapped_indices(SliceCase c)
    {
        using var scope = NewDisposeScope();
        var childConfig = Subcloner.ChildConfig(c.Parent, c.Map);
        using var parent = TransformerModel.Create(c.Parent, c.Seed);
        var parentTensors = parent.state_dict();
        var tensors = Slicer.Slice(parent, childConfig, c.Map);
        foreach (var (name, child) in tensors)
        {
            int? layer = ParameterLayout.LayerOf(name);
            var source = parentTensors[layer is int l ? ParameterLayout.WithLayer(name, c.Map.LayerMap[l]) : name];
            var layout = ParameterLayout.For(c.Parent, name);
            var kept = layout.Axes.Select((role, axis) => Kept(c.Parent, role, c.Map, layer, source.shape[axis])).ToArray();
            Assert.Equal(kept.Select(k => (long)k.Length), child.shape);
            double scale = c.Map.Scale && layout.InputAxis is int input && kept[input].Length < source.shape[input]
                ? Math.Sqrt((double)source.shape[input] / kept[input].Length) : 1;
            AssertGathered(name, source, child, kept, scale);
        }
        foreach (var t in tensors.Values) t.Dispose();
    }

    [Property(MaxTest = Runs, Arbitrary = [typeof(SliceArbitrary)])]
    public void The_identity_map_changes_nothing(ModelConfig config, int seed)
    {
        using var scope = NewDisposeScope();
        using var parent = TransformerModel.Create(config, seed);
        var identity = CloneMap.Identity(config);
        Assert.Equal(config, Subcloner.ChildConfig(config, identity));
        var parentTensors = parent.state_dict();
        var tensors = Slicer.Slice(parent, config, identity);
        Assert.Equal(parentTensors.Keys.Order(StringComparer.Ordinal), tensors.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, t) in tensors)
            Assert.True(BitEqual(parentTensors[name], t), $"{name} changed under the identity map");
        using var child = Subcloner.Apply(parent, identity);
        foreach (var (name, t) in child.state_dict())
            Assert.True(BitEqual(parentTensors[name], t), $"{name} of the identity clone differs from the parent's");
        foreach (var t in tensors.Values) t.Dispose();
    }

    /// <summary>Reordering residual dims, KV groups, heads within a group and FFN neurons is a symmetry of every family:
    /// any such map the validator accepts must compute the parent's outputs (up to float summation order).</summary>
    [Property(MaxTest = Runs, Arbitrary = [typeof(PermutationArbitrary)])]
    public void A_map_that_only_reorders_computes_the_parents_function(SliceCase c)
    {
        try { c.Map.Validate(c.Parent, "generated map"); }
        catch (InvalidDataException) { return; }  // rejected: nothing to compute
        using var scope = NewDisposeScope();
        using var parent = TransformerModel.Create(c.Parent, c.Seed);
        using var child = Subcloner.Apply(parent, c.Map);
        using var _ = no_grad();
        var input = Input(c.Parent, c.Seed);
        var expected = parent.Forward(input);
        // BERT returns hidden states, in the child's (reordered) residual coordinates; the others return logits.
        if (c.Parent.Family.Kind == FamilyKind.Encoder)
            expected = expected.index_select(-1, tensor(c.Map.ResidualDims.Select(i => (long)i).ToArray()));
        var actual = child.Forward(input);
        double diff = (expected - actual).abs().max().item<float>();
        Assert.True(expected.allclose(actual, rtol: 1e-4, atol: 1e-5), $"the reordered child's outputs differ by up to {diff}");
    }

    /// <summary>Found by the property above: the validator accepted query heads listed out of their KV groups' order
    /// (each group kept whole, but group 1's heads first), and the child paired them with the wrong keys and values.</summary>
    [Fact]
    public void Query_heads_out_of_their_KV_groups_order_are_rejected()
    {
        using var scope = NewDisposeScope();
        using var parent = Subclone.Tests.Support.TinyModels.Llama();  // 4 heads in 2 KV groups: {0, 1} and {2, 3}
        var identity = CloneMap.Identity(parent.Config);
        var swapped = identity with { Heads = [[2, 3, 0, 1], [0, 1, 2, 3]] };

        var error = Assert.Throws<InvalidDataException>(() => Subcloner.Apply(parent, swapped));
        Assert.Contains("layer 0: query heads must be listed group by group in the order of the kept KV heads", error.Message);

        // The same heads with their groups in that order are a valid reordering: the child computes the parent's logits.
        using var child = Subcloner.Apply(parent, swapped with { KvHeads = [[1, 0], [0, 1]] });
        using var _ = no_grad();
        var ids = Input(parent.Config, seed: 3);
        Assert.True(parent.Forward(ids).allclose(child.Forward(ids), rtol: 1e-4, atol: 1e-5));
    }

    [Property(MaxTest = Runs, Arbitrary = [typeof(SliceArbitrary)])]
    public void The_planner_turns_any_valid_target_into_a_valid_map_of_that_shape(PlanCase c)
    {
        var childConfig = c.Target.Apply(c.Parent);
        var scores = RandomScores(c.Parent, c.Seed);
        var map = ClonePlanner.Plan(c.Parent, childConfig, scores, c.Options);
        map.Validate(c.Parent, "planned map");
        Assert.Equal(childConfig, Subcloner.ChildConfig(c.Parent, map));
        Assert.Equal(c.Options.Scale, map.Scale);
        // The planner keeps indices in the parent's order, so a child's tensors are sub-matrices of the parent's.
        Assert.True(Ascending(map.ResidualDims));
        for (int l = 0; l < childConfig.Layers; l++)
            Assert.True(Ascending(map.Heads[l]) && Ascending(map.KvHeads[l]) && Ascending(map.FfnNeurons[l]), $"layer {l}'s indices are not ascending");
        if (c.Options.KeepLayers is int[] keep) Assert.Equal(keep, map.LayerMap);
        else if (childConfig.Layers >= c.Parent.Layers)  // deepening duplicates blocks in place: every block, in order
            Assert.Equal(Enumerable.Range(0, c.Parent.Layers), map.LayerMap.Distinct());
        else Assert.True(Ascending(map.LayerMap));

        using var scope = NewDisposeScope();
        using var parent = TransformerModel.Create(c.Parent, c.Seed);
        var result = Subcloner.Clone(parent, c.Target, scores, c.Options);
        using var child = result.Child;
        Assert.Equal(childConfig, child.Config);
    }

    static bool BitEqual(Tensor a, Tensor b) =>
        a.dtype == b.dtype && a.shape.SequenceEqual(b.shape)
        && a.contiguous().bytes.ToArray().AsSpan().SequenceEqual(b.contiguous().bytes.ToArray());

    static bool Ascending(int[] indices) => indices.Zip(indices.Skip(1)).All(p => p.First < p.Second);

    static ImportanceScores RandomScores(ModelConfig p, long seed)
    {
        var random = new Random((int)seed);
        double[][] Table(int width) => [.. Enumerable.Range(0, p.Layers).Select(_ => Enumerable.Range(0, width).Select(_ => random.NextDouble()).ToArray())];
        return new ImportanceScores
        {
            Residual = Table(p.Hidden), Ffn = Table(p.Ffn), Heads = Table(p.Heads),
            BlockInfluence = [.. Enumerable.Range(0, p.Layers).Select(_ => random.NextDouble())],
        };
    }

    /// <summary>Token ids [2, max positions], or for ViT pixels [2, C, H, W], drawn from the seed.</summary>
    static Tensor Input(ModelConfig c, long seed)
    {
        var generator = new Generator((ulong)seed);
        return c.Family.Kind == FamilyKind.ImageClassifier
            ? randn([2, c.Channels, c.ImageSize, c.ImageSize], generator: generator)
            : randint(0, c.Vocab, [2, c.MaxPositions], generator: generator);
    }

    /// <summary>The parent coordinates a child axis keeps, written out per role independently of the slicer.</summary>
    static int[] Kept(ModelConfig p, AxisRole role, CloneMap map, int? layer, long length)
    {
        int hd = p.HeadDim;
        int[] Expand(IEnumerable<int> heads, int width) => [.. heads.SelectMany(h => Enumerable.Range(h * width, width))];
        long Width(AxisRole part) => part switch
        {
            ResidualAxis => p.Hidden, HeadsAxis => p.Heads * hd, KvHeadsAxis => p.KvHeads * hd, FfnAxis => p.Ffn,
            _ => throw new ArgumentOutOfRangeException(nameof(part)),
        };
        return role switch
        {
            WholeAxis => [.. Enumerable.Range(0, (int)length)],
            ResidualAxis => map.ResidualDims,
            HeadsAxis => Expand(map.Heads[layer!.Value], hd),
            KvHeadsAxis => Expand(map.KvHeads[layer!.Value], hd),
            FfnAxis => map.FfnNeurons[layer!.Value],
            // [part 0 | part 1 | …]: each part's kept columns, shifted past the parent's widths of the parts before it.
            PackedAxis packed => [.. packed.Parts.SelectMany((part, i) =>
                Kept(p, part, map, layer, Width(part)).Select(k => (int)(k + packed.Parts.Take(i).Sum(Width))))],
            // [heads, parts, head_dim]: a kept head keeps its parts × head_dim block.
            PerHeadInterleavedAxis interleaved => Expand(map.Heads[layer!.Value], interleaved.Parts * hd),
            _ => throw new ArgumentOutOfRangeException(nameof(role)),
        };
    }

    /// <summary>child[i0, i1, …] = parent[kept0[i0], kept1[i1], …] × scale, element by element over flat arrays.</summary>
    static void AssertGathered(string name, Tensor parent, Tensor child, int[][] kept, double scale)
    {
        var p = parent.contiguous().data<float>().ToArray();
        var ch = child.contiguous().data<float>().ToArray();
        long[] parentStrides = Strides(parent.shape), childStrides = Strides(child.shape);
        for (long flat = 0; flat < ch.Length; flat++)
        {
            long source = 0;
            for (int axis = 0; axis < kept.Length; axis++)
                source += kept[axis][flat / childStrides[axis] % child.shape[axis]] * parentStrides[axis];
            float expected = scale == 1 ? p[source] : (float)(p[source] * scale);
            bool same = scale == 1 ? BitConverter.SingleToInt32Bits(expected) == BitConverter.SingleToInt32Bits(ch[flat])
                : Math.Abs(expected - ch[flat]) <= 1e-6 * Math.Abs(expected) + 1e-12;
            Assert.True(same, $"{name}[flat {flat}] is {ch[flat]}, expected parent[flat {source}] {p[source]} × {scale} = {expected}");
        }
    }

    static long[] Strides(long[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--) { strides[i] = s; s *= shape[i]; }
        return strides;
    }
}
