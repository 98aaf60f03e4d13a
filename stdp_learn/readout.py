"""Turn excitatory spike counts into class labels.

The network of Diehl & Cook (2015) learns without labels. After training, each
excitatory neuron is given the class to which it responded most strongly on a
labelled set (:func:`assign_labels`); a new image is then classified by a vote
of the neurons assigned to each class (:func:`predict_all_activity`, or the
selectivity-weighted :func:`predict_proportion_weighting`).

Everything here works on plain count matrices of shape
``(n_samples, n_neurons)``, so the readout can be tested and reused without
running a simulation.

Conventions shared by all functions:

* A neuron that never fired on the labelled set is *silent*: its assignment
  is ``-1`` and it never takes part in a vote.
* A class that never occurs in the labels gets a mean response of 0 and is
  never assigned.
* An image that drives none of the assigned neurons gets the prediction ``-1``
  ("no answer") instead of an arbitrary class.
* Ties go to the lowest class index.

Reference: P. U. Diehl and M. Cook, "Unsupervised learning of digit
recognition using spike-timing-dependent plasticity", *Frontiers in
Computational Neuroscience* 9:99, 2015. doi:10.3389/fncom.2015.00099
"""

import numpy as np

__all__ = ["assign_labels", "predict_all_activity", "predict_proportion_weighting", "early_exit",
           "early_exit_curve"]

#: Assignment of a silent neuron, and prediction for an image with no answer.
NO_CLASS = -1


def _validate_n_classes(n_classes):
    """Return `n_classes` as an int after checking that it is a positive integer."""
    is_integer = isinstance(n_classes, (int, np.integer))
    if isinstance(n_classes, (bool, np.bool_)) or not is_integer:
        raise ValueError(f"n_classes must be a positive integer; got {n_classes!r}")
    if n_classes < 1:
        raise ValueError(f"n_classes must be a positive integer; got {n_classes}")
    return int(n_classes)


def _validate_counts(counts):
    """Return `counts` as a float64 array after checking shape, finiteness and sign."""
    counts = np.asarray(counts)
    if counts.ndim != 2:
        raise ValueError(
            "counts must be 2-D with shape (n_samples, n_neurons); "
            f"got an array with {counts.ndim} dimension(s), shape {counts.shape}"
        )
    if not (np.issubdtype(counts.dtype, np.number) or counts.dtype == bool):
        raise ValueError(f"counts must be numeric; got dtype {counts.dtype}")
    counts = counts.astype(np.float64)
    if not np.all(np.isfinite(counts)):
        raise ValueError("counts must be finite; found NaN or infinity")
    if np.any(counts < 0):
        raise ValueError(f"counts must be non-negative; found minimum {counts.min()}")
    return counts


def _as_integer_array(values, name):
    """Return `values` as an int64 array, refusing values that are not whole numbers."""
    values = np.asarray(values)
    if values.dtype == bool or not np.issubdtype(values.dtype, np.number):
        raise ValueError(f"{name} must be integers; got dtype {values.dtype}")
    if not np.issubdtype(values.dtype, np.integer):
        # Labels read from float arrays (e.g. a CSV) are accepted when they are
        # whole numbers; anything else is almost certainly the wrong array.
        if not np.all(np.isfinite(values)) or np.any(values != np.round(values)):
            raise ValueError(f"{name} must be integers; found non-integer values")
    return values.astype(np.int64)


def _validate_assignments(assignments, n_neurons, n_classes):
    """Return `assignments` as int64 after checking length and range [-1, n_classes)."""
    assignments = _as_integer_array(assignments, "assignments")
    if assignments.shape != (n_neurons,):
        raise ValueError(
            f"assignments must have shape (n_neurons,) = ({n_neurons},) to match "
            f"counts; got shape {assignments.shape}"
        )
    out_of_range = (assignments < NO_CLASS) | (assignments >= n_classes)
    if np.any(out_of_range):
        raise ValueError(
            f"assignments must lie in [-1, n_classes) = [-1, {n_classes}); "
            f"found {assignments[out_of_range][0]}"
        )
    return assignments


def _membership(assignments, n_classes):
    """Return the (n_neurons, n_classes) 0/1 matrix of which neuron votes for which class.

    Silent neurons (assignment -1) get a row of zeros, which is what keeps
    them out of every vote.
    """
    return (assignments[:, np.newaxis] == np.arange(n_classes)).astype(np.float64)


def _vote(class_scores):
    """Return the winning class per row of `class_scores`, or -1 where no score is positive.

    ``np.argmax`` returns the first maximum, which gives the lowest-index
    tie rule. A class with no assigned neuron always scores 0, so it can only
    "win" a row whose scores are all 0, and those rows are answered with -1.
    """
    winners = np.argmax(class_scores, axis=1)
    answered = class_scores.max(axis=1, initial=0.0) > 0
    return np.where(answered, winners, NO_CLASS).astype(np.int64)


def assign_labels(counts, labels, n_classes=10):
    """Assign each neuron the class to which it responds most strongly.

    For every neuron and class, the mean spike count over the images of that
    class is computed; the neuron is assigned the class with the highest mean,
    as in Diehl & Cook (2015) [1]_.

    Parameters
    ----------
    counts : array_like, shape (n_samples, n_neurons)
        Non-negative spike count of each excitatory neuron for each labelled
        image (dimensionless).
    labels : array_like of int, shape (n_samples,)
        True class of each image, in ``[0, n_classes)``.
    n_classes : int, optional
        Number of classes. Classes that never occur in `labels` are allowed.

    Returns
    -------
    assignments : ndarray of int64, shape (n_neurons,)
        Class with the highest mean response of each neuron, or ``-1`` for a
        neuron that never fired on any image (silent). Ties go to the lowest
        class index.
    proportions : ndarray of float64, shape (n_neurons, n_classes)
        `rates` normalised to sum to 1 for each neuron: the share of a neuron's
        response that each class receives. All zeros for a silent neuron.
    rates : ndarray of float64, shape (n_neurons, n_classes)
        Mean spike count of each neuron over the images of each class. The
        column of a class absent from `labels` is 0, not NaN.

    Raises
    ------
    ValueError
        If `counts` is not 2-D, is negative or not finite, if `labels` does
        not have one integer entry per row of `counts`, or if a label lies
        outside ``[0, n_classes)``.

    See Also
    --------
    predict_all_activity : Classify images with the assignments.
    predict_proportion_weighting : Classify images weighting each neuron by
        its `proportions`.

    Notes
    -----
    A class absent from `labels` is never assigned: a neuron that fired at
    all has a positive mean for some present class, which beats the 0 of the
    absent class, and a neuron that never fired is marked silent.

    References
    ----------
    .. [1] P. U. Diehl and M. Cook, "Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity", *Frontiers in
       Computational Neuroscience* 9:99, 2015.

    Examples
    --------
    Three neurons, three classes; neuron 2 never fires.

    >>> from stdp_learn.readout import assign_labels
    >>> counts = [[4, 0, 0],
    ...           [0, 2, 0],
    ...           [1, 3, 0]]
    >>> labels = [0, 1, 1]
    >>> assignments, proportions, rates = assign_labels(counts, labels, n_classes=3)
    >>> assignments
    array([ 0,  1, -1])
    >>> rates
    array([[4. , 0.5, 0. ],
           [0. , 2.5, 0. ],
           [0. , 0. , 0. ]])
    >>> proportions[0]
    array([0.88888889, 0.11111111, 0.        ])
    """
    n_classes = _validate_n_classes(n_classes)
    counts = _validate_counts(counts)
    labels = _as_integer_array(labels, "labels")
    n_samples = counts.shape[0]
    if labels.shape != (n_samples,):
        raise ValueError(
            f"labels must have shape (n_samples,) = ({n_samples},) to match counts; "
            f"got shape {labels.shape}"
        )
    out_of_range = (labels < 0) | (labels >= n_classes)
    if np.any(out_of_range):
        raise ValueError(
            f"labels must lie in [0, n_classes) = [0, {n_classes}); "
            f"found {labels[out_of_range][0]}"
        )

    # Summing counts per class as a product with the one-hot label matrix
    # does every class in one pass instead of a loop over classes.
    one_hot_labels = (labels[:, np.newaxis] == np.arange(n_classes)).astype(np.float64)
    class_totals = one_hot_labels.T @ counts  # (n_classes, n_neurons)
    images_per_class = np.bincount(labels, minlength=n_classes).astype(np.float64)
    # Absent classes have 0 images and 0 total; dividing by 1 keeps their mean at 0.
    rates = (class_totals / np.maximum(images_per_class, 1.0)[:, np.newaxis]).T

    response_sums = rates.sum(axis=1)
    silent = response_sums == 0
    assignments = np.where(silent, NO_CLASS, np.argmax(rates, axis=1)).astype(np.int64)
    proportions = np.divide(
        rates,
        response_sums[:, np.newaxis],
        out=np.zeros_like(rates),
        where=~silent[:, np.newaxis],
    )
    return assignments, proportions, rates


def predict_all_activity(counts, assignments, n_classes=10):
    """Classify each image by the mean activity of the neurons assigned to each class.

    For each class, the spike counts of the neurons assigned to it are
    averaged; the class with the highest average wins. This is the readout of
    Diehl & Cook (2015) [1]_. Averaging, rather than summing, keeps a class
    from winning only because more neurons were assigned to it.

    Parameters
    ----------
    counts : array_like, shape (n_samples, n_neurons)
        Non-negative spike count of each excitatory neuron for each image to
        classify.
    assignments : array_like of int, shape (n_neurons,)
        Class of each neuron, ``-1`` for silent neurons, as returned by
        :func:`assign_labels`.
    n_classes : int, optional
        Number of classes.

    Returns
    -------
    predictions : ndarray of int64, shape (n_samples,)
        Predicted class of each image; ``-1`` (no answer) for an image on
        which every assigned neuron stayed silent. Ties go to the lowest class
        index.

    Raises
    ------
    ValueError
        If `counts` is not 2-D, is negative or not finite, or if
        `assignments` does not have one integer in ``[-1, n_classes)`` per
        neuron.

    See Also
    --------
    assign_labels : Compute `assignments`.
    predict_proportion_weighting : Weight each neuron's vote by its
        selectivity.

    Notes
    -----
    Neurons assigned ``-1`` are ignored, however much they fire. A class with
    no assigned neuron can never win. Answering ``-1`` when no assigned
    neuron fired, instead of an arbitrary class, makes such images count as
    errors in :func:`stdp_learn.metrics.accuracy` rather than as lucky guesses.

    References
    ----------
    .. [1] P. U. Diehl and M. Cook, "Unsupervised learning of digit
       recognition using spike-timing-dependent plasticity", *Frontiers in
       Computational Neuroscience* 9:99, 2015.

    Examples
    --------
    Neurons 0 and 1 vote for class 0, neuron 2 for class 1; neuron 3 is
    silent and is ignored.

    >>> from stdp_learn.readout import predict_all_activity
    >>> assignments = [0, 0, 1, -1]
    >>> counts = [[2, 0, 3, 0],   # class 0 mean 1, class 1 mean 3
    ...           [4, 2, 1, 0],   # class 0 mean 3, class 1 mean 1
    ...           [0, 0, 0, 9]]   # only the silent neuron fires
    >>> predict_all_activity(counts, assignments, n_classes=2)
    array([ 1,  0, -1])
    """
    n_classes = _validate_n_classes(n_classes)
    counts = _validate_counts(counts)
    assignments = _validate_assignments(assignments, counts.shape[1], n_classes)

    membership = _membership(assignments, n_classes)
    neurons_per_class = membership.sum(axis=0)
    # A class with no neuron keeps a score of 0 (divide by 1), so it can never
    # beat a class whose neurons fired; see _vote.
    class_means = (counts @ membership) / np.maximum(neurons_per_class, 1.0)
    return _vote(class_means)


def predict_proportion_weighting(counts, assignments, proportions, n_classes=10):
    """Classify each image by activity weighted with each neuron's class selectivity.

    Like :func:`predict_all_activity`, but a neuron's count is multiplied by
    the share of its response that belongs to its assigned class, so sharply
    tuned neurons weigh more than neurons that respond to several classes.
    For class ``c`` the score is the sum, over the neurons assigned to ``c``,
    of ``counts * proportions[:, c]``, divided by the number of neurons
    assigned to ``c``; the class with the highest score wins.

    Parameters
    ----------
    counts : array_like, shape (n_samples, n_neurons)
        Non-negative spike count of each excitatory neuron for each image to
        classify.
    assignments : array_like of int, shape (n_neurons,)
        Class of each neuron, ``-1`` for silent neurons, as returned by
        :func:`assign_labels`.
    proportions : array_like, shape (n_neurons, n_classes)
        Non-negative share of each neuron's response per class, as returned
        by :func:`assign_labels`.
    n_classes : int, optional
        Number of classes.

    Returns
    -------
    predictions : ndarray of int64, shape (n_samples,)
        Predicted class of each image; ``-1`` (no answer) when no class gets a
        positive score, which with the `proportions` of :func:`assign_labels`
        means that every assigned neuron stayed silent. Ties go to the lowest
        class index.

    Raises
    ------
    ValueError
        If `counts` is not 2-D, is negative or not finite, if `assignments`
        does not have one integer in ``[-1, n_classes)`` per neuron, or if
        `proportions` is not a finite, non-negative
        ``(n_neurons, n_classes)`` array.

    See Also
    --------
    assign_labels : Compute `assignments` and `proportions`.
    predict_all_activity : The unweighted vote of Diehl & Cook (2015).

    Examples
    --------
    Neuron 0 responds to both classes almost equally, neuron 1 only to
    class 1. Unweighted, neuron 0's 4 spikes beat neuron 1's 3; weighted,
    they count for ``4 * 0.6 = 2.4`` against ``3 * 1.0 = 3``.

    >>> from stdp_learn.readout import predict_all_activity, predict_proportion_weighting
    >>> assignments = [0, 1]
    >>> proportions = [[0.6, 0.4],
    ...                [0.0, 1.0]]
    >>> counts = [[4, 3]]
    >>> predict_all_activity(counts, assignments, n_classes=2)
    array([0])
    >>> predict_proportion_weighting(counts, assignments, proportions, n_classes=2)
    array([1])
    """
    n_classes = _validate_n_classes(n_classes)
    counts = _validate_counts(counts)
    n_neurons = counts.shape[1]
    assignments = _validate_assignments(assignments, n_neurons, n_classes)
    proportions = np.asarray(proportions, dtype=np.float64)
    if proportions.shape != (n_neurons, n_classes):
        raise ValueError(
            f"proportions must have shape (n_neurons, n_classes) = ({n_neurons}, "
            f"{n_classes}); got shape {proportions.shape}"
        )
    if not np.all(np.isfinite(proportions)):
        raise ValueError("proportions must be finite; found NaN or infinity")
    if np.any(proportions < 0):
        raise ValueError(
            f"proportions must be non-negative; found minimum {proportions.min()}"
        )

    membership = _membership(assignments, n_classes)
    neurons_per_class = membership.sum(axis=0)
    # Keep only the proportion of each neuron's own class, so that each neuron
    # votes once, for its assigned class, with weight proportions[i, class].
    vote_weights = membership * proportions
    class_scores = (counts @ vote_weights) / np.maximum(neurons_per_class, 1.0)
    return _vote(class_scores)


def early_exit(spike_image, spike_time, spike_neuron, n_images, assignments, *, margin=np.inf,
               max_spikes=None, presentation_time=0.35, n_classes=10):
    """Classify each image from the spikes before its presentation could have been stopped.

    The excitatory spikes of a presentation are taken in order of time.  After each time
    step with spikes, every class counts the spikes of the neurons assigned to it; the
    presentation stops as soon as one class leads every other by at least `margin`
    spikes, or once `max_spikes` spikes were fired.  The image gets the all-activity vote
    (`predict_all_activity`) on the spikes up to the stop, the spikes of the stopping
    time step included.  Without a stop it gets the vote on all its spikes: with
    ``margin=inf`` and no `max_spikes` this is the full evaluation.

    Stopping the input cannot change what happened before, so the answer is what the
    network gives when its presentation is cut at that time; only the following images
    would start from a slightly different state (the 150 ms rest lets it decay).

    Parameters
    ----------
    spike_image, spike_time, spike_neuron : array_like, shape (n_spikes,)
        Image, time in seconds from the start of its presentation, and neuron of every
        spike (`stdp_learn.simulation.SpikeTrains`).
    n_images : int
        Number of images.
    assignments : array_like of int, shape (n_neurons,)
        Class of each neuron, ``-1`` for none (:func:`assign_labels`).
    margin : float
        Spikes by which the leading class must lead to stop (``inf``: never).
    max_spikes : int, optional
        Stop after this many spikes of the presentation.
    presentation_time : float
        Seconds of a whole presentation, the decision time of an image never stopped.
    n_classes : int, optional
        Number of classes.

    Returns
    -------
    predictions : ndarray of int64, shape (n_images,)
        Class of each image, -1 where no assigned neuron fired before the stop.
    decision_time : ndarray of float, shape (n_images,)
        Seconds of presentation until the stop.

    Examples
    --------
    >>> early_exit([0, 0, 0], [0.01, 0.02, 0.03], [0, 0, 1], 1, [3, 3, 5], margin=2)
    (array([3]), array([0.02]))
    """
    n_classes = _validate_n_classes(n_classes)
    spike_image = _as_integer_array(spike_image, "spike_image").ravel()
    spike_neuron = _as_integer_array(spike_neuron, "spike_neuron").ravel()
    spike_time = np.asarray(spike_time, dtype=float).ravel()
    if not spike_image.size == spike_time.size == spike_neuron.size:
        raise ValueError("spike_image, spike_time and spike_neuron must have the same length")
    assignments = np.asarray(assignments)
    assignments = _validate_assignments(assignments, assignments.size, n_classes)
    if not margin > 0:
        raise ValueError(f"margin must be positive, got {margin}")
    if max_spikes is not None and int(max_spikes) < 1:
        raise ValueError(f"max_spikes must be at least 1, got {max_spikes}")
    n_images = int(n_images)
    predictions = np.full(n_images, NO_CLASS, dtype=np.int64)
    decision_time = np.full(n_images, float(presentation_time))
    order = np.lexsort((spike_time, spike_image))
    spike_image, spike_time, spike_neuron = spike_image[order], spike_time[order], spike_neuron[order]
    starts = np.searchsorted(spike_image, np.arange(n_images + 1))
    for image in range(n_images):
        times = spike_time[starts[image]: starts[image + 1]]
        neurons = spike_neuron[starts[image]: starts[image + 1]]
        end = times.size
        if end:
            classes = assignments[neurons]
            votes = np.zeros((end, n_classes))
            assigned = classes >= 0
            votes[np.flatnonzero(assigned), classes[assigned]] = 1
            totals = np.cumsum(votes, axis=0)
            ranked = np.sort(totals, axis=1)
            lead = ranked[:, -1] - (ranked[:, -2] if n_classes > 1 else 0)
            # a stop can only come at the last spike of a time step
            step_ends = np.append(times[1:] != times[:-1], True)
            stop = step_ends & (lead >= margin)
            if max_spikes is not None:
                stop |= step_ends & (np.arange(1, end + 1) >= int(max_spikes))
            hits = np.flatnonzero(stop)
            if hits.size:
                end = hits[0] + 1
                decision_time[image] = times[hits[0]]
        counts = np.zeros((1, assignments.size))
        np.add.at(counts[0], spike_neuron[starts[image]: starts[image] + end], 1)
        predictions[image] = predict_all_activity(counts, assignments, n_classes)[0]
    return predictions, decision_time


def early_exit_curve(spikes, labels, assignments, *, margins=(1, 2, 3, 4, 6, 8, np.inf),
                     retries=None, presentation_time=0.35, synops_per_image=None, n_classes=10):
    """Return accuracy against presentation time for a range of early-exit margins.

    Parameters
    ----------
    spikes : SpikeTrains
        Excitatory spikes of the accepted presentations (``Responses.spikes``).
    labels : array_like of int, shape (n_images,)
        True classes.
    assignments : array_like of int, shape (n_neurons,)
        Class of each neuron.
    margins : sequence of float
        Margins of `early_exit` to try (``inf``: the full presentation).
    retries : array_like of int, shape (n_images,), optional
        Presentations shown before the accepted one (the retry rule); each counts a
        whole `presentation_time`.
    presentation_time : float
        Seconds of one presentation.
    synops_per_image : array_like, shape (n_images,), optional
        Synaptic operations of each image with its full presentations; the curve then
        reports them scaled by the fraction of presentation time shown.  That is an
        estimate, and named one: it takes the events of an image to be spread evenly
        over its presentation time, while excitatory and inhibitory spikes come in
        bursts and each retry is shown brighter than the presentation before it.

    Returns
    -------
    list of dict
        One per margin: ``margin``, ``accuracy``, ``mean_presentation_ms`` (accepted and
        retried presentations), ``stopped_early`` (fraction of images) and, with
        `synops_per_image`, ``estimated_mean_synops``.
    """
    labels = np.asarray(labels)
    n_images = labels.size
    retries = np.zeros(n_images) if retries is None else np.asarray(retries, dtype=float)
    full_time = (retries + 1) * presentation_time
    curve = []
    for margin in margins:
        predictions, decision = early_exit(
            spikes.image, spikes.time, spikes.neuron, n_images, assignments, margin=margin,
            presentation_time=presentation_time, n_classes=n_classes)
        shown = retries * presentation_time + decision
        point = {
            "margin": float(margin),
            "accuracy": float(np.mean(predictions == labels)) if n_images else float("nan"),
            "mean_presentation_ms": float(np.mean(shown) * 1e3) if n_images else float("nan"),
            "stopped_early": float(np.mean(decision < presentation_time)) if n_images else 0.0,
        }
        if synops_per_image is not None:
            point["estimated_mean_synops"] = float(
                np.mean(np.asarray(synops_per_image) * shown / full_time))
        curve.append(point)
    return curve
