using System.Diagnostics;
using Subclone.Data.Images;
using Subclone.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Subclone.Training;

/// <summary>
/// Trains an image classifier (ViT) with cross-entropy on labelled images: epochs of shuffled batches (seed +
/// epoch), AdamW with the same decay groups, warmup + cosine schedule and clipping as the text trainer. It
/// evaluates top-1 error (1 − accuracy) on a fixed validation set, which is what <see cref="StepMetrics.ValLoss"/>
/// holds here, so comparisons use the same lower-is-better machinery as language models.
/// </summary>
public sealed class ImageTrainer : IChildTrainer
{
    readonly TransformerModel _model;
    readonly ImageDataset _train, _validation;
    readonly TrainingOptions _options;
    readonly ImageAugmentation? _augmentation;
    readonly AdamW _optimizer;
    readonly List<Parameter> _parameters;

    /// <inheritdoc/>
    public List<StepMetrics> History { get; } = [];

    /// <summary>
    /// Sets up cross-entropy training of the ViT <paramref name="model"/> on <paramref name="train"/>, evaluated on <paramref name="validation"/>,
    /// with <paramref name="augmentation"/> applied to training batches (none when null).
    /// </summary>
    public ImageTrainer(TransformerModel model, ImageDataset train, ImageDataset validation, TrainingOptions options, ImageAugmentation? augmentation = null)
    {
        options.Validate();
        if (model.Config.Architecture != Architecture.Vit) throw new UserInputException($"image training needs a ViT, not {model.Config.ArchitectureName}");
        if (train.Classes > model.Config.Labels || validation.Classes > model.Config.Labels)
            throw new UserInputException($"{train.Origin} has {Math.Max(train.Classes, validation.Classes)} classes but the model has {model.Config.Labels} labels");
        if (train.Count < options.BatchSize) throw new UserInputException($"{train.Origin}: {train.Count} training images are fewer than one batch of {options.BatchSize}");
        _model = model;
        _train = train;
        _validation = validation;
        _options = options;
        _augmentation = augmentation;
        torch.set_num_threads(Trainer.Threads());
        var groups = WeightDecayGroups.Of(model, options.DecayEmbeddings);
        _parameters = groups.All;
        _optimizer = groups.CreateAdamW(options);
    }

    /// <summary>Top-1 error on the validation images.</summary>
    public double Evaluate()
    {
        var batches = _validation.Batches(256, seed: 0, shuffle: false)
            .Select(b => new Cloning.CalibrationBatch(b.Pixels, null, b.Labels)).ToList();
        double accuracy = Evaluation.Accuracy(_model, batches);
        foreach (var b in batches) { b.InputIds.Dispose(); b.Labels!.Dispose(); }
        return 1 - accuracy;
    }

    /// <inheritdoc/>
    public void Run(IProgress<StepMetrics>? progress = null)
    {
        var watch = Stopwatch.StartNew();
        var schedule = _options.Schedule;
        void Record(StepMetrics row) { History.Add(row); progress?.Report(row); }
        Record(new StepMetrics(0, 0, null, Evaluate(), null, 0, 0, 0));
        int step = 0;
        for (int epoch = 0; step < _options.Steps; epoch++)
        {
            foreach (var batch in _train.Batches(_options.BatchSize, _options.Seed + epoch, shuffle: true, _augmentation, dropLast: true))
            {
                if (step >= _options.Steps) { batch.Dispose(); break; }
                step++;
                double lr = schedule.At(step);
                foreach (var group in _optimizer.ParamGroups) group.LearningRate = lr;
                _model.train();
                double loss;
                using (var scope = NewDisposeScope())
                using (batch)
                {
                    var lossTensor = nn.functional.cross_entropy(_model.Forward(batch.Pixels), batch.Labels);
                    lossTensor.backward();
                    if (_options.GradClip > 0) nn.utils.clip_grad_norm_(_parameters, _options.GradClip);
                    _optimizer.step();
                    _optimizer.zero_grad();
                    loss = lossTensor.item<float>();
                }
                bool evaluate = step % _options.EvalEvery == 0 || step == _options.Steps;
                Record(new StepMetrics(step, lr, loss, evaluate ? Evaluate() : null, null, (long)step * _options.BatchSize, 0, watch.Elapsed.TotalSeconds));
            }
        }
    }

    /// <summary>Frees the optimizer state.</summary>
    public void Dispose() => _optimizer.Dispose();
}
