// The dashboard's entry (dashboard/index.html): its stylesheet and the <sy-dashboard> element.
import './styles.css';
import './app';
