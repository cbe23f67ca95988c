namespace Subclone.Training;

/// <summary>
/// Linear warmup to the peak, then cosine decay to the minimum at the last step (nanoGPT's schedule). Steps are
/// numbered from 1: step 1 is the first optimizer update.
/// </summary>
public sealed record LearningRateSchedule(double Peak, double Min, int WarmupSteps, int TotalSteps)
{
    /// <summary>The learning rate of optimizer step <paramref name="step"/> (from 1).</summary>
    public double At(int step)
    {
        if (step <= WarmupSteps) return Peak * step / WarmupSteps;
        if (step >= TotalSteps) return Min;
        double progress = (double)(step - WarmupSteps) / (TotalSteps - WarmupSteps);
        return Min + 0.5 * (1 + Math.Cos(Math.PI * progress)) * (Peak - Min);
    }
}
